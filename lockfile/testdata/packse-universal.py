import re, json, sys, tomllib, itertools, glob, os
from pip._vendor.packaging.markers import Marker
from pip._vendor.packaging.specifiers import SpecifierSet
from pip._vendor.packaging.version import Version

# Usage: python3 packse-universal.py LOCK_SCENARIOS_RS SCENARIOS_DIR > packse-universal.txt
# LOCK_SCENARIOS_RS is crates/uv/tests/lock_scenarios/lock_scenarios.rs of
# astral-sh/uv; SCENARIOS_DIR is ../shared/testdata/packse/scenarios.
# Needs Python 3.11+ and pip (for its vendored packaging).
src = open(sys.argv[1]).read()
fns = re.split(r'\n#\[test\]\n', src)
scen_dir = sys.argv[2]

def scenario_toml(path):
    with open(os.path.join(scen_dir, path), 'rb') as f:
        return tomllib.load(f)

KNOWN = {'linux': ('Linux', 'posix'), 'darwin': ('Darwin', 'posix'), 'win32': ('Windows', 'nt')}
IMPL = {'cpython': 'CPython', 'pypy': 'PyPy'}

def literals(markers, var):
    vals = set()
    for m in markers:
        for a, b in re.findall(r"%s\s*(?:==|!=|<=|>=|<|>|~=)\s*['\"]([^'\"]*)['\"]|['\"]([^'\"]*)['\"]\s*(?:==|!=|<=|>=|<|>|~=)\s*%s" % (var, var), m):
            vals.add(a or b)
    return vals

def all_markers(sc, lock):
    ms = []
    def from_req(r):
        if ';' in r: ms.append(r.split(';', 1)[1])
    for r in sc.get('root', {}).get('requires', []): from_req(r)
    for p in sc.get('packages', {}).values():
        for v in p.get('versions', {}).values():
            for r in v.get('requires', []): from_req(r)
            for ex in v.get('extras', {}).values():
                for r in ex: from_req(r)
    for m in sc.get('resolver_options', {}).get('required_environments', []): ms.append(m)
    if lock:
        for p in lock.get('package', []):
            for d in p.get('dependencies', []):
                if 'marker' in d: ms.append(d['marker'])
            for deps in p.get('optional-dependencies', {}).values():
                for d in deps:
                    if 'marker' in d: ms.append(d['marker'])
    return ms

def envs_for(sc, lock, requires_python):
    ms = all_markers(sc, lock)
    rp = SpecifierSet(requires_python)
    pys = ['3.8.0', '3.9.0', '3.10.0', '3.10.1', '3.11.0', '3.12.0', '3.13.0', '3.14.0']
    for v in literals(ms, 'python_full_version'):
        try:
            Version(v); pys.append(v)
        except Exception: pass
    for v in literals(ms, 'python_version'):
        try:
            Version(v + '.0'); pys.append(v + '.0')
        except Exception: pass
    def pad(p):
        v = Version(p)
        if v.pre or v.dev or v.post:
            return p
        rel = list(v.release) + [0] * (3 - len(v.release))
        return '.'.join(str(x) for x in rel)
    pys = sorted({pad(p) for p in pys if rp.contains(p, prereleases=True)}, key=Version)
    plats = sorted(literals(ms, 'sys_platform') | {'linux', 'darwin', 'win32', 'otheros'})
    osnames = sorted(literals(ms, 'os_name') | {'posix'})
    impls = sorted(literals(ms, 'implementation_name') | {IMPL_K for IMPL_K, v in IMPL.items() if v in literals(ms, 'platform_python_implementation')} | {'cpython'})
    machines = sorted(literals(ms, 'platform_machine') | {'x86_64'})
    out = []
    for py, plat, impl, mach in itertools.product(pys, plats, impls, machines):
        if plat in KNOWN:
            systems = [KNOWN[plat]]
        else:
            systems = [('Other', o) for o in osnames]
        for system, osn in systems:
            v = Version(py)
            env = {
                'implementation_name': impl, 'implementation_version': py,
                'os_name': osn, 'platform_machine': mach,
                'platform_python_implementation': IMPL.get(impl, 'Other'),
                'platform_release': '', 'platform_system': system, 'platform_version': '',
                'python_full_version': py, 'python_version': '%d.%d' % (v.major, v.minor),
                'sys_platform': plat, 'extra': '',
            }
            out.append(env)
    return out

def install(lock, env):
    pkgs = lock.get('package', [])
    byname = {}
    for p in pkgs: byname.setdefault(p['name'], []).append(p)
    root = byname['project'][0]
    result = {}
    seen = set()
    queue = [(root, ())]
    while queue:
        p, extras = queue.pop()
        key = (p['name'], p.get('version'), extras)
        if key in seen: continue
        seen.add(key)
        if p['name'] != 'project':
            if p['name'] in result and result[p['name']] != p['version']:
                raise Exception('ambiguous %s' % p['name'])
            result[p['name']] = p['version']
        deps = list(p.get('dependencies', []))
        for e in extras:
            deps += p.get('optional-dependencies', {}).get(e, [])
        for d in deps:
            if 'marker' in d and not Marker(d['marker']).evaluate(env):
                continue
            cands = byname[d['name']]
            if 'version' in d:
                cands = [c for c in cands if c['version'] == d['version']]
            if len(cands) != 1:
                raise Exception('cannot pick %s: %d' % (d['name'], len(cands)))
            queue.append((cands[0], tuple(sorted(d.get('extra', [])))))
    return result

out = {}
for fn in fns:
    m = re.search(r'PackseServer::new\("([^"]+)"\)', fn)
    if not m: continue
    path = m.group(1)
    if not os.path.exists(os.path.join(scen_dir, path)): continue
    sc = scenario_toml(path)
    if not sc.get('resolver_options', {}).get('universal'): continue
    rp = re.search(r'requires-python = "([^"]+)"', fn)
    requires_python = rp.group(1) if rp else None
    lm = re.search(r'lock, @r#"\n(.*?)\n\s*"#', fn, re.S)
    lock = None
    if lm:
        text = '\n'.join(l[8:] if l.startswith('        ') else l for l in lm.group(1).split('\n'))
        lock = tomllib.loads(text)
    success = 'exit_code: 0 (success)' in fn
    entry = {'path': path, 'requires_python': requires_python, 'satisfiable': success}
    if success:
        # uv's snapshot of a scenario it resolves against packse's
        # expectation has no lock: the installs are unknown ("?").
        entry['envs'] = []
        for env in envs_for(sc, lock, requires_python or '>=3.12'):
            e = dict(env); del e['extra']
            entry['envs'].append({'env': e, 'installs': install(lock, env) if lock else None})
    out[sc['name']] = entry

# Writes lockfile/testdata/packse-universal.txt.
def main():
    d = out
    print("# Expected installs of the universal packse scenarios, derived from the uv.lock")
    print("# snapshots of astral-sh/uv crates/uv/tests/lock_scenarios/lock_scenarios.rs")
    print("# (commit 26a9dd4b2125bc271b47855e1fa0c49af3365db5, MIT OR Apache-2.0) by")
    print("# lockfile/testdata/packse-universal.py: for each environment, what uv sync")
    print("# installs from uv's lock (project dependencies followed where their markers")
    print("# hold). Fields: python_full_version sys_platform os_name platform_system")
    print("# implementation_name platform_python_implementation platform_machine.")
    for name in sorted(d):
        e = d[name]
        print()
        print("scenario %s requires-python %s %s" % (name, e['requires_python'] or '>=3.12', 'satisfiable' if e['satisfiable'] else 'unsatisfiable'))
        for row in e.get('envs', []):
            v = row['env']
            inst = '?' if row['installs'] is None else ' '.join('%s==%s' % (k, row['installs'][k]) for k in sorted(row['installs']))
            print("env %s %s %s %s %s %s %s: %s" % (v['python_full_version'], v['sys_platform'], v['os_name'], v['platform_system'], v['implementation_name'], v['platform_python_implementation'], v['platform_machine'], inst))

main()
