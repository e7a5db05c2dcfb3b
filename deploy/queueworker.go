package deploy

import (
	"path"
	"regexp"
	"slices"
	"strings"
)

// queueWorkers maps the programs of the task-queue frameworks to the
// preset that describes them. Run as a web service (NewApp), such a
// process gets a container port, HTTP probes, a Service and a
// NetworkPolicy admitting the port, and listens on none of it: kubelet
// restarts it when the startup probe gives up, forever.
var queueWorkers = map[string]string{
	"celery":           "deploy.Celery",
	"rq":               "deploy.RQ",
	"rqworker":         "deploy.RQ",
	"rqscheduler":      "deploy.Command",
	"dramatiq":         "deploy.Dramatiq",
	"dramatiq-gevent":  "deploy.Dramatiq",
	"arq":              "deploy.Arq",
	"huey_consumer":    "deploy.Command",
	"huey_consumer.py": "deploy.Command",
}

// djangoWorkers are the manage.py commands of the Django integrations
// (django-rq, django-dramatiq, huey) that run a consumer.
var djangoWorkers = map[string]bool{"rqworker": true, "rqscheduler": true, "rundramatiq": true, "run_huey": true}

// runners are wrappers that run the program named after them.
var runners = map[string]bool{"uv": true, "poetry": true, "pipenv": true, "pdm": true, "hatch": true}

var pythonBinary = regexp.MustCompile(`^python(\d+(\.\d+)?)?$`)

// queueWorkerProgram returns the task-queue program argv runs and the
// preset to use instead ("" if it runs none). It sees through
// "python -m celery", "uv run celery" (poetry, pipenv, pdm, hatch),
// "exec" and "sh -c 'celery ...'", and knows "python manage.py rqworker"
// and the like. Celery's own HTTP server, flower, is not a worker.
func queueWorkerProgram(argv []string) (program, preset string) {
	for len(argv) > 0 {
		prog := path.Base(argv[0])
		switch {
		case prog == "exec":
			argv = argv[1:]
			continue
		case runners[prog] && len(argv) > 1 && argv[1] == "run":
			argv = argv[2:]
			continue
		case pythonBinary.MatchString(prog) && len(argv) > 2 && argv[1] == "-m":
			argv = argv[2:]
			continue
		case (prog == "sh" || prog == "bash") && len(argv) > 2 && argv[1] == "-c":
			argv = strings.Fields(argv[2])
			continue
		}
		if cmd, ok := djangoCommand(prog, argv); ok {
			if djangoWorkers[cmd] {
				return "manage.py " + cmd, "deploy.Command"
			}
			return "", ""
		}
		preset, ok := queueWorkers[prog]
		if !ok || (prog == "celery" && slices.Contains(argv[1:], "flower")) {
			return "", ""
		}
		return prog, preset
	}
	return "", ""
}

// djangoCommand returns the management command of "python manage.py cmd"
// or "./manage.py cmd".
func djangoCommand(prog string, argv []string) (string, bool) {
	switch {
	case pythonBinary.MatchString(prog) && len(argv) > 2 && path.Base(argv[1]) == "manage.py":
		return argv[2], true
	case prog == "manage.py" && len(argv) > 1:
		return argv[1], true
	}
	return "", false
}
