#!/usr/bin/env python3
"""Build, configure, start and stop the project's Asterisk 22.

Asterisk 22 is only packaged in Debian sid, so it runs from a minimal sid root
built once with debootstrap and kept outside the checkout (TVCC_ASTERISK_ROOT,
default /var/cache/tvcc/asterisk-sid). Each instance ('run' for make run,
'test' for the test suite) has its own folder inside the root with its own
configuration, ports and spool, so both can run side by side.

Asterisk runs under chroot inside a private mount namespace (unshare): /proc
and /dev are mounted there only, so they vanish with the process, whatever
way it ends. Nothing is ever mounted in the host's namespace.

    runtime.py build            build the root if missing or outdated
    runtime.py start  -i NAME   render the configuration and start (daemon)
    runtime.py run    -i NAME   start in the foreground; Ctrl-C stops it
    runtime.py stop   -i NAME   stop cleanly
    runtime.py status -i NAME
    runtime.py cli    -i NAME "core show channels"
"""
import argparse
import contextlib
import ctypes
import fcntl
import hashlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from tvcc import settings  # noqa: E402

TEMPLATES = HERE / 'templates'
PACKAGES_FILE = HERE / 'packages.txt'
SUITE = 'sid'
MIRROR = os.environ.get('TVCC_DEBIAN_MIRROR', 'http://deb.debian.org/debian')
STAMP = '.tvcc-root'
BOOT_TIMEOUT = float(os.environ.get('TVCC_ASTERISK_BOOT_TIMEOUT', 60))
ASTERISK_DIRS = [
    'var/lib/asterisk', 'var/spool/asterisk', 'var/log/asterisk',
    'var/run/asterisk', 'var/cache/asterisk', 'etc/asterisk']
INSTANCE_DIRS = [
    'etc', 'etc/tvcc', 'lib', 'spool', 'spool/monitor', 'spool/voicemail',
    'run', 'log', 'log/cdr-csv', 'log/cdr-custom', 'cache', 'sounds', 'keys']


class RuntimeFailure(Exception):
    "A failure with a message that says what failed and what to do"


def say(message):
    print(f'[asterisk] {message}', flush=True)


def root():
    return settings.ASTERISK_ROOT


# --- building the root --------------------------------------------------

def wanted_packages():
    lines = PACKAGES_FILE.read_text().splitlines()
    return [p.strip() for p in lines if p.strip() and not p.startswith('#')]


def root_signature():
    "What the root was built from: a rebuild happens when this changes"
    text = '\n'.join([SUITE, *sorted(wanted_packages())])
    return hashlib.sha256(text.encode()).hexdigest()


def root_is_current():
    stamp = root() / STAMP
    return (stamp.exists() and stamp.read_text().strip() == root_signature()
        and (root() / 'usr/sbin/asterisk').exists())


def require_root_user(action):
    if os.geteuid() != 0:
        raise RuntimeFailure(
            f'{action} needs root (debootstrap, chroot and mount '
            'namespaces): run it as root or with sudo.')


def check_mirror():
    url = f'{MIRROR}/dists/{SUITE}/Release'
    try:
        with urllib.request.urlopen(url, timeout=15) as response:
            response.read(64)
    except (urllib.error.URLError, OSError) as error:
        raise RuntimeFailure(
            f'Cannot reach the Debian mirror {MIRROR} ({error}). The Asterisk '
            'root is built from Debian sid once: check the network or proxy, '
            'or set TVCC_DEBIAN_MIRROR to a reachable mirror.') from None


@contextlib.contextmanager
def locked(name):
    settings.RUN.mkdir(parents=True, exist_ok=True)
    with open(settings.RUN / f'{name}.lock', 'w') as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def build(force=False):
    "Build the sid root with Asterisk unless an up-to-date one exists"
    with locked('asterisk-root'):
        if root_is_current() and not force:
            say(f'root {root()} is up to date')
            return
        require_root_user('Building the Asterisk root')
        if shutil.which('debootstrap') is None:
            raise RuntimeFailure(
                'debootstrap is not installed: apt-get install debootstrap '
                '(make sysdeps does it).')
        running = [i for i in settings.INSTANCES if instance_pids(
            settings.instance(i))]
        if running:
            raise RuntimeFailure(
                f'Asterisk instance(s) {", ".join(running)} still run from '
                f'{root()}: stop them before rebuilding the root.')
        check_mirror()
        target = root()
        target.parent.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(
                prefix=target.name + '.build-', dir=target.parent))
        settings.LOG.mkdir(parents=True, exist_ok=True)
        log_path = settings.LOG / 'debootstrap.log'
        packages = wanted_packages()
        say(f'building {target} from Debian {SUITE} with '
            f'{", ".join(packages)} (about a minute; log: {log_path})')
        started = time.monotonic()
        try:
            with open(log_path, 'w') as log:
                result = subprocess.run([
                        'debootstrap', '--variant=minbase',
                        '--include=' + ','.join(packages),
                        SUITE, str(work), MIRROR],
                    stdout=log, stderr=subprocess.STDOUT)
            if result.returncode:
                tail = log_path.read_text().splitlines()[-5:]
                raise RuntimeFailure(
                    'debootstrap failed (exit %s). Last lines:\n  %s\n'
                    'Check the network and %s, then run make again.' % (
                        result.returncode, '\n  '.join(tail), log_path))
            # The package leaves these owned by a uid that does not exist
            # in the root: "ASTdb initialization failed" otherwise.
            for folder in ASTERISK_DIRS:
                path = work / folder
                path.mkdir(parents=True, exist_ok=True)
                for dirpath, dirnames, filenames in os.walk(path):
                    os.chown(dirpath, 0, 0)
                    for name in filenames:
                        with contextlib.suppress(FileNotFoundError):
                            os.lchown(os.path.join(dirpath, name), 0, 0)
            (work / 'srv/tvcc').mkdir(parents=True, exist_ok=True)
            (work / STAMP).write_text(root_signature() + '\n')
            if target.exists():
                old = target.with_name(target.name + '.old')
                shutil.rmtree(old, ignore_errors=True)
                target.rename(old)
                shutil.rmtree(old, ignore_errors=True)
            work.rename(target)
        except BaseException:
            shutil.rmtree(work, ignore_errors=True)
            raise
        say('root built in %.0f s' % (time.monotonic() - started))


# --- configuration ------------------------------------------------------

PLACEHOLDER = re.compile(r'\{\{(\w+)\}\}')


def render_template(text, values):
    "Replace {{name}} placeholders; an unknown name is an error"
    def replace(match):
        name = match.group(1)
        if name not in values:
            raise KeyError(f'template placeholder {name!r} has no value')
        return str(values[name])
    return PLACEHOLDER.sub(replace, text)


def template_values(inst):
    return {
        'instance': inst.name,
        'path': inst.path,
        'ami_port': inst.ami_port,
        'ami_username': inst.ami_username,
        'ami_secret': inst.ami_secret(),
        'agi_token': inst.agi_secret(),
        'agi_port': inst.agi_port,
        'sip_port': inst.sip_port,
        'sip_bind': os.environ.get('TVCC_SIP_BIND', '127.0.0.1'),
        'rtp_start': inst.rtp_start,
        'rtp_end': inst.rtp_end,
        'http_port': inst.http_port,
        'wss_port': inst.wss_port,
        # The browser phones' WSS: loopback by default, like SIP.
        'wss_bind': os.environ.get('TVCC_WSS_BIND',
            os.environ.get('TVCC_SIP_BIND', '127.0.0.1')),
        'wss_cert': f'{inst.path}/keys/{WSS_CERT}',
        'wss_key': f'{inst.path}/keys/{WSS_KEY}',
        }


WSS_CERT = 'wss.crt'
WSS_KEY = 'wss.key'
WSS_CERT_DAYS = 3650


def install_wss_certificate(inst, gid):
    """The certificate of the browser phones' WSS in keys/ (root's,
    readable by Asterisk's group only): the configured production one
    (copied at each start, so a renewed one is taken), else one generated
    once for this installation (self-signed, for local use)"""
    keys = inst.host_path / 'keys'
    keys.mkdir(parents=True, exist_ok=True)
    os.chown(keys, 0, gid)
    os.chmod(keys, 0o750)
    cert, key = keys / WSS_CERT, keys / WSS_KEY
    configured = inst.wss_certificate()
    if configured:
        for source, target in zip(configured, (cert, key)):
            try:
                data = source.read_text()
            except OSError as error:
                raise RuntimeFailure(
                    f'Cannot read the WSS certificate file {source} '
                    f'({error.strerror}): check TVCC_WSS_CERT_FILE and '
                    'TVCC_WSS_KEY_FILE.') from None
            write_atomic(target, data, mode=0o640, group=gid)
        return
    if cert.exists() and key.exists():
        return
    if shutil.which('openssl') is None:
        raise RuntimeFailure('openssl is not installed: apt-get install '
            'openssl (the browser phones\' WSS certificate is made with '
            'it).')
    work = Path(tempfile.mkdtemp(dir=keys))
    try:
        result = subprocess.run(['openssl', 'req', '-x509', '-newkey',
                'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
                '-days', str(WSS_CERT_DAYS),
                '-subj', f'/CN=tvcc-{inst.name}',
                '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1',
                '-keyout', str(work / WSS_KEY), '-out', str(work / WSS_CERT)],
            capture_output=True, text=True)
        if result.returncode:
            raise RuntimeFailure('openssl could not make the WSS '
                f'certificate: {result.stderr.strip()}')
        for name in (WSS_KEY, WSS_CERT):
            os.chown(work / name, 0, gid)
            os.chmod(work / name, 0o640)
            os.replace(work / name, keys / name)
        say(f'generated the WSS certificate {cert} (self-signed)')
    finally:
        shutil.rmtree(work, ignore_errors=True)


def write_atomic(path, text, mode=0o640, group=None):
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix='.' + path.name)
    try:
        with os.fdopen(fd, 'w') as file:
            file.write(text)
        if group is not None:
            os.chown(tmp, -1, group)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


# Asterisk runs as this user of the root (the Debian package creates it),
# never as root: an injection into its configuration or dialplan gets no
# more than this user's rights.
ASTERISK_USER = 'asterisk'
# Asterisk writes here (its database, spool, logs, control socket) ...
WRITABLE_DIRS = ['lib', 'spool', 'run', 'log', 'cache']
# ... and only reads the rest of its folder (configuration, prompts): a
# configuration file it could rewrite (AMI UpdateConfig) would be a way
# from the AMI account to the dialplan.


def _lookup(path, name):
    "The numeric id of name in a passwd or group file, or None"
    with contextlib.suppress(OSError):
        for line in Path(path).read_text().splitlines():
            fields = line.split(':')
            if len(fields) > 3 and fields[0] == name:
                return int(fields[2])
    return None


def asterisk_ids():
    "(uid, gid) of the Asterisk user inside the root, created if missing"
    base = root()
    uid = _lookup(base / 'etc/passwd', ASTERISK_USER)
    gid = _lookup(base / 'etc/group', ASTERISK_USER)
    if uid is None or gid is None:
        require_root_user('Creating the Asterisk user')
        command = ['useradd', '--system', '--user-group', '--no-create-home',
            '--home-dir', '/var/lib/asterisk', '--shell', '/usr/sbin/nologin',
            ASTERISK_USER]
        if str(base) != '/':
            command = ['chroot', str(base), *command]
        result = subprocess.run(command, capture_output=True, text=True)
        uid = _lookup(base / 'etc/passwd', ASTERISK_USER)
        gid = _lookup(base / 'etc/group', ASTERISK_USER)
        if uid is None or gid is None:
            raise RuntimeFailure(
                f'Cannot create the user "{ASTERISK_USER}" Asterisk runs as '
                f'in {base}: {result.stderr.strip() or result.returncode}')
    return uid, gid


def own_tree(path, uid, gid):
    "Give path and everything under it to uid:gid (only what differs)"
    for dirpath, dirnames, filenames in os.walk(path):
        for name in [None, *filenames]:
            target = dirpath if name is None else os.path.join(dirpath, name)
            with contextlib.suppress(FileNotFoundError):
                stat = os.lstat(target)
                if (stat.st_uid, stat.st_gid) != (uid, gid):
                    os.lchown(target, uid, gid)


def bridge_owner():
    """The uid that owns what the bridge renders: TVCC_BRIDGE_UID (the
    container image's tvcc user), root by default (make run)"""
    value = os.environ.get('TVCC_BRIDGE_UID', '0')
    if not value.isdigit():
        raise RuntimeFailure(
            f'TVCC_BRIDGE_UID must be a numeric user id, not {value!r}.')
    return int(value)


def render(inst):
    "Write the base configuration of inst into its folder in the root"
    # A root of "/" is a system-installed Asterisk (the container image).
    if str(root()) != '/' and not root_is_current():
        raise RuntimeFailure(
            f'The Asterisk root {root()} is missing or outdated: '
            'run asterisk/runtime.py build (make setup does it).')
    uid, gid = asterisk_ids()
    if str(root()) != '/':
        # debootstrap built it in a mkdtemp folder (0700): the root's "/"
        # must be searchable by the Asterisk user.
        os.chmod(root(), 0o755)
    base = inst.host_path
    for folder in INSTANCE_DIRS:
        (base / folder).mkdir(parents=True, exist_ok=True)
    # Configuration: root's, readable by Asterisk's group, by no one else.
    # What the bridge renders (etc/tvcc, the prompts in sounds) is the
    # bridge's when it is not root (the container image: TVCC_BRIDGE_UID),
    # still read by Asterisk through its group and never writable by it.
    bridge_uid = bridge_owner()
    for folder in [base / 'etc', base / 'etc' / 'tvcc', base / 'sounds']:
        owner = 0 if folder == base / 'etc' else bridge_uid
        os.chown(folder, owner, gid)
        os.chmod(folder, 0o750)
        if folder != base / 'etc':
            own_tree(folder, owner, gid)
    for folder in WRITABLE_DIRS:
        own_tree(base / folder, uid, gid)
    install_wss_certificate(inst, gid)
    values = template_values(inst)
    for template in sorted(TEMPLATES.glob('*.conf')):
        write_atomic(base / 'etc' / template.name,
            render_template(template.read_text(), values), group=gid)
    return base / 'etc'


# --- processes ----------------------------------------------------------

def pidfile(inst):
    return settings.RUN / f'asterisk-{inst.name}.pid'


def conf_path(inst):
    return f'{inst.path}/etc/asterisk.conf'


def instance_pids(inst):
    "PIDs of every process running this instance's Asterisk (or its wrapper)"
    marker = conf_path(inst).encode()
    root_path = str(root())
    pids = []
    for entry in Path('/proc').iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / 'cmdline').read_bytes()
        except OSError:
            continue
        if marker not in cmdline or int(entry.name) == os.getpid():
            continue
        try:
            inside = os.readlink(entry / 'root') == root_path
        except OSError:
            inside = False
        if inside or root_path.encode() in cmdline:
            pids.append(int(entry.name))
    return sorted(pids)


def alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        state = Path(f'/proc/{pid}/stat').read_text().rsplit(')', 1)[1].split()
        return state[0] != 'Z'
    except OSError:
        return False


def asterisk_cli(inst, command, timeout=10):
    "Run a CLI command on the running instance and return its output"
    result = subprocess.run(
        ['chroot', str(root()), '/usr/sbin/asterisk', '-C', conf_path(inst),
            '-rx', command],
        capture_output=True, text=True, timeout=timeout)
    if result.returncode:
        raise RuntimeFailure(
            f'Asterisk CLI "{command}" failed: '
            f'{(result.stderr or result.stdout).strip()}')
    return result.stdout


def listeners():
    "Return {(proto, port): description} of listening sockets on this host"
    result = subprocess.run(['ss', '-H', '-ltunp'], capture_output=True,
        text=True)
    found = {}
    for line in result.stdout.splitlines():
        parts = line.split()
        if len(parts) < 5:
            continue
        proto, local = parts[0], parts[4]
        port = local.rsplit(':', 1)[-1]
        if port.isdigit():
            found[(proto, int(port))] = f'{local} {" ".join(parts[6:])}'
    return found


def port_free(port, kind=socket.SOCK_STREAM):
    with socket.socket(socket.AF_INET, kind) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(('127.0.0.1', port))
        except OSError:
            return False
    return True


def check_ports(inst):
    taken = []
    for label, port, kind, proto in [
            ('AMI', inst.ami_port, socket.SOCK_STREAM, 'tcp'),
            ('SIP', inst.sip_port, socket.SOCK_DGRAM, 'udp'),
            ('HTTP', inst.http_port, socket.SOCK_STREAM, 'tcp'),
            ('WSS', inst.wss_port, socket.SOCK_STREAM, 'tcp')]:
        if not port_free(port, kind):
            owner = listeners().get((proto, port), 'unknown process')
            taken.append(f'{label} port {port}/{proto} is taken by {owner}')
    if taken:
        raise RuntimeFailure(
            f'Cannot start Asterisk instance "{inst.name}": '
            + '; '.join(taken) + '. Stop that process or set '
            f'TVCC_{inst.name.upper()}_AMI_PORT / _SIP_PORT / _HTTP_PORT / '
            '_WSS_PORT to free ports.')


def _set_pdeathsig(sig=signal.SIGKILL):
    "Ask the kernel to signal this process when its parent dies"
    with contextlib.suppress(Exception):
        libc = ctypes.CDLL('libc.so.6', use_errno=True)
        libc.prctl(1, sig)  # PR_SET_PDEATHSIG


def spawn(inst, detach):
    settings.LOG.mkdir(parents=True, exist_ok=True)
    out = open(settings.LOG / f'asterisk-{inst.name}.out', 'ab')
    r = str(root())
    script = (
        f'mount -t proc proc {r}/proc && '
        f'mount --rbind /dev {r}/dev && '
        f'exec chroot {r} /usr/sbin/asterisk -C {conf_path(inst)} '
        f'-f -U {ASTERISK_USER} -G {ASTERISK_USER}')
    process = subprocess.Popen(
        ['unshare', '--mount', '--propagation', 'private',
            '--kill-child=SIGKILL', '--', '/bin/sh', '-c', script,
            conf_path(inst)],
        stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
        start_new_session=detach,
        preexec_fn=None if detach else _set_pdeathsig)
    out.close()
    pidfile(inst).write_text(f'{process.pid}\n')
    return process


def wait_booted(inst, process):
    deadline = time.monotonic() + BOOT_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeFailure(
                f'Asterisk instance "{inst.name}" exited during start-up '
                f'(code {process.returncode}). Last lines of '
                f'{settings.LOG}/asterisk-{inst.name}.out:\n  '
                + '\n  '.join(tail_log(inst)))
        with contextlib.suppress(RuntimeFailure, subprocess.TimeoutExpired):
            output = asterisk_cli(inst, 'core waitfullybooted', timeout=5)
            if 'fully booted' in output:
                return
        time.sleep(0.2)
    raise RuntimeFailure(
        f'Asterisk instance "{inst.name}" did not finish booting within '
        f'{BOOT_TIMEOUT:.0f} s. Last lines:\n  ' + '\n  '.join(tail_log(inst)))


def tail_log(inst, count=8):
    path = settings.LOG / f'asterisk-{inst.name}.out'
    with contextlib.suppress(OSError):
        return path.read_text(errors='replace').splitlines()[-count:]
    return []


def check_ami_loopback(inst):
    for (proto, port), description in listeners().items():
        if proto == 'tcp' and port == inst.ami_port:
            local = description.split()[0]
            if not local.startswith(('127.', '[::1]', '[::ffff:127.')):
                raise RuntimeFailure(
                    f'AMI of instance "{inst.name}" listens on {local}, '
                    'not on loopback only: refusing to run.')


def start(inst, restart=False, detach=True):
    require_root_user('Starting Asterisk')
    with locked(f'asterisk-{inst.name}'):
        if instance_pids(inst):
            if not restart:
                raise RuntimeFailure(
                    f'Asterisk instance "{inst.name}" is already running '
                    f'(pids {instance_pids(inst)}): stop it first with '
                    f'asterisk/runtime.py stop -i {inst.name}.')
            _stop(inst)
        render(inst)
        check_ports(inst)
        say(f'starting instance "{inst.name}" (AMI 127.0.0.1:'
            f'{inst.ami_port}, SIP {inst.sip_port}, FastAGI expected on '
            f'127.0.0.1:{inst.agi_port})')
        started = time.monotonic()
        process = spawn(inst, detach)
        try:
            wait_booted(inst, process)
            check_ami_loopback(inst)
        except BaseException:
            _stop(inst)
            raise
        say('instance "%s" fully booted in %.1f s' % (
                inst.name, time.monotonic() - started))
        return process


def _stop(inst, timeout=10):
    pids = instance_pids(inst)
    if not pids:
        pidfile(inst).unlink(missing_ok=True)
        return False
    with contextlib.suppress(RuntimeFailure, subprocess.TimeoutExpired):
        asterisk_cli(inst, 'core stop now', timeout=5)
    for sig, wait in [(None, timeout), (signal.SIGTERM, 5),
            (signal.SIGKILL, 5)]:
        if sig is not None:
            for pid in instance_pids(inst):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, sig)
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            if not [p for p in instance_pids(inst) if alive(p)]:
                pidfile(inst).unlink(missing_ok=True)
                return True
            time.sleep(0.1)
    raise RuntimeFailure(
        f'Asterisk instance "{inst.name}" did not stop: pids '
        f'{instance_pids(inst)} remain.')


def stop(inst):
    with locked(f'asterisk-{inst.name}'):
        if _stop(inst):
            say(f'instance "{inst.name}" stopped')
        else:
            say(f'instance "{inst.name}" was not running')
    leftovers = host_mounts()
    if leftovers:
        raise RuntimeFailure(
            'Mounts under the Asterisk root are visible on the host: '
            + ', '.join(leftovers) + '. Unmount them with umount -l.')


def host_mounts():
    "Mount points under the root in the host's namespace (should be none)"
    prefix = str(root()) + '/'
    with open('/proc/self/mounts') as mounts:
        return [line.split()[1] for line in mounts
            if line.split()[1].startswith(prefix)]


def run_foreground(inst):
    "Start, report ready, and stop cleanly on SIGINT/SIGTERM or parent death"
    _set_pdeathsig(signal.SIGTERM)
    stopping = False

    def on_signal(signum, frame):
        nonlocal stopping
        if not stopping:
            stopping = True
            raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    process = None
    try:
        process = start(inst, restart=False, detach=False)
        print(f'READY asterisk {inst.name}', flush=True)
        code = process.wait()
        if not stopping:
            say(f'Asterisk instance "{inst.name}" exited (code {code}); '
                'see ' + str(settings.LOG / f'asterisk-{inst.name}.out'))
            return 1
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        stop(inst)
    return 0


def status(inst):
    pids = instance_pids(inst)
    if not pids:
        say(f'instance "{inst.name}" is not running')
        return 3
    say(f'instance "{inst.name}" runs (pids {pids}); '
        f'AMI 127.0.0.1:{inst.ami_port}')
    print(asterisk_cli(inst, 'core show uptime'), end='')
    return 0


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('action', choices=[
            'build', 'render', 'start', 'run', 'stop', 'status', 'cli'])
    parser.add_argument('-i', '--instance', default='run',
        choices=settings.INSTANCES)
    parser.add_argument('--force', action='store_true',
        help="build: rebuild even when the root is up to date")
    parser.add_argument('--restart', action='store_true',
        help="start: stop a running instance first")
    parser.add_argument('command', nargs='*', help="cli: the CLI command")
    args = parser.parse_intermixed_args(argv)
    inst = settings.instance(args.instance)
    try:
        if args.action == 'build':
            build(force=args.force)
        elif args.action == 'render':
            say(f'configuration written to {render(inst)}')
        elif args.action == 'start':
            start(inst, restart=args.restart)
        elif args.action == 'run':
            return run_foreground(inst)
        elif args.action == 'stop':
            stop(inst)
        elif args.action == 'status':
            return status(inst)
        elif args.action == 'cli':
            print(asterisk_cli(inst, ' '.join(args.command)), end='')
    except RuntimeFailure as failure:
        print(f'[asterisk] ERROR: {failure}', file=sys.stderr, flush=True)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
