"""Run the test suites (make test): module tests, then integration tests.

    python -m tvcc.testing [modules|integration ...] [-k PATTERN]

Module tests are each module's ModuleTestCase and scenarios, on PostgreSQL,
two modules at a time, each in its own database. Integration tests (tests/)
run against the real Asterisk, the bridge and trytond of the 'test'
instance. Exits non-zero if anything failed.
"""
import argparse
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

from . import settings
from .bootstrap import MODULES, database_uri, drop_test_caches

PARALLEL = int(os.environ.get('TVCC_TEST_JOBS', 2))


def run_module(module, uri):
    log = settings.LOG / f'test-{module}.log'
    env = {
        **os.environ,
        'TRYTOND_DATABASE_URI': uri,
        'DB_CACHE': 'postgresql://',
        'DB_NAME': f'test_{module}_{os.getpid()}',
        'PYTHONWARNINGS': 'ignore::DeprecationWarning',
        }
    env.pop('TRYTOND_CONFIG', None)
    # Every tests/test_*.py of the module: test_module, test_scenario and
    # any other suite (test_statistics...).
    names = [f'trytond.modules.{module}.tests.{path.stem}'
        for path in sorted((settings.PROJECT / 'modules' / module
                / 'tests').glob('test_*.py'))]
    started = time.monotonic()
    with open(log, 'w') as out:
        result = subprocess.run(
            [sys.executable, '-m', 'unittest', *names],
            env=env, stdout=out, stderr=subprocess.STDOUT)
    summary = [line for line in log.read_text().splitlines()
        if line.startswith(('Ran ', 'OK', 'FAILED'))]
    return module, result.returncode, time.monotonic() - started, summary, log


def module_tests():
    # A superuser's: each module's tests create their own databases.
    uri = database_uri()
    # Tryton keys its cached test databases by module names only.
    drop_test_caches(uri)
    print(f'[test] module tests on {uri} ({PARALLEL} at a time)', flush=True)
    failed = []
    with ThreadPoolExecutor(PARALLEL) as executor:
        for module, code, seconds, summary, log in executor.map(
                lambda m: run_module(m, uri), MODULES):
            status = 'ok' if code == 0 else 'FAILED'
            print(f'[test] {module}: {status} in {seconds:.0f} s '
                f'({" ".join(summary)})', flush=True)
            if code:
                failed.append(module)
                print('\n'.join('    ' + line for line in
                        log.read_text().splitlines()[-40:]))
    return failed


def integration_tests(pattern=None):
    print('[test] integration tests (real Asterisk, bridge, trytond)',
        flush=True)
    cmd = [sys.executable, '-m', 'pytest', str(settings.PROJECT / 'tests'),
        '-p', 'no:cacheprovider']
    if pattern:
        cmd += ['-k', pattern]
    result = subprocess.run(cmd, cwd=settings.PROJECT,
        env={**os.environ, 'TRYTOND_CONFIG': str(settings.TRYTOND_CONF)})
    return ['integration'] if result.returncode else []


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('suites', nargs='*', metavar='SUITE',
        help="modules and/or integration (default: both)")
    parser.add_argument('-k', dest='pattern',
        help="integration tests: only those matching PATTERN")
    args = parser.parse_args(argv)
    args.suites = args.suites or ['modules', 'integration']
    if set(args.suites) - {'modules', 'integration'}:
        parser.error('suites are "modules" and "integration"')
    settings.LOG.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    failed = []
    if 'modules' in args.suites:
        failed += module_tests()
    if 'integration' in args.suites:
        failed += integration_tests(args.pattern)
    minutes = (time.monotonic() - started) / 60
    if failed:
        print(f'[test] FAILED: {", ".join(failed)} ({minutes:.1f} min)',
            flush=True)
        return 1
    print(f'[test] all tests passed ({minutes:.1f} min)', flush=True)
    return 0


if __name__ == '__main__':
    sys.exit(main())
