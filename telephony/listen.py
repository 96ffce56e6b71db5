"""The FastAGI listening socket, bound once by whoever supervises the bridge.

A bridge that binds its FastAGI port itself leaves it free while it
restarts: any local process could take it and receive the next calls' AGI
requests. The supervisor (``make run``'s tvcc/supervisor.py, tests'
tvcc/keeper.py, or systemd with tvcc-bridge.socket) binds it once and hands
the socket to every bridge process it starts; the port is never free while
the supervisor lives, and connections made while the bridge restarts wait
in the socket's backlog until the next bridge accepts them.

Two ways to hand it over, both read by inherited():
- systemd socket activation: LISTEN_FDS (and LISTEN_PID, when set, must be
  this process), the sockets from file descriptor 3 on;
- TVCC_FASTAGI_FD=N: descriptor N (passed with subprocess' pass_fds).
"""
import logging
import os
import socket

log = logging.getLogger(__name__)

FD_VARIABLE = 'TVCC_FASTAGI_FD'
SD_LISTEN_FDS_START = 3
BACKLOG = 256


class ListenError(Exception):
    "The inherited socket is not the FastAGI socket this bridge serves"


def bind(host, port, backlog=BACKLOG):
    """Bind and listen on host:port, for the bridges to come. SO_REUSEADDR
    (a restart of the supervisor does not wait for TIME_WAIT) but never
    SO_REUSEPORT: no other socket can bind the port while this one lives."""
    family = socket.AF_INET6 if ':' in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(backlog)
    except OSError:
        sock.close()
        raise
    return sock


def child_env(sock):
    "The environment a bridge process needs to find sock (pass_fds=[fd])"
    return {FD_VARIABLE: str(sock.fileno())}


def _candidates(environ):
    "File descriptors handed to this process, and by whom"
    fds = []
    value = environ.pop(FD_VARIABLE, None)
    if value is not None:
        try:
            fds.append((int(value), FD_VARIABLE))
        except ValueError:
            raise ListenError(f'{FD_VARIABLE}={value!r} is not a file '
                'descriptor number') from None
    count = environ.pop('LISTEN_FDS', None)
    pid = environ.pop('LISTEN_PID', None)
    environ.pop('LISTEN_FDNAMES', None)
    if count is not None and (pid is None or pid == str(os.getpid())):
        try:
            count = int(count)
        except ValueError:
            count = 0
        fds += [(fd, 'LISTEN_FDS') for fd in range(
                SD_LISTEN_FDS_START, SD_LISTEN_FDS_START + count)]
    return fds


def _same_address(bound, host, port):
    try:
        wanted = {info[4][:2] for info in socket.getaddrinfo(
                host, port, type=socket.SOCK_STREAM)}
    except socket.gaierror:
        wanted = {(host, port)}
    return tuple(bound[:2]) in wanted


def inherited(host, port, environ=None):
    """The listening socket for host:port handed to this process, or None
    (the bridge then binds the port itself).

    The variables are removed from the environment (the bridge's own
    children must not believe they were given sockets) and the socket is
    made non-inheritable. A socket handed over that does not listen on
    host:port is an error: serving it would answer another port's
    requests, binding beside it would fail.
    """
    environ = os.environ if environ is None else environ
    found, others = None, []
    candidates = _candidates(environ)
    for fd, source in candidates:
        try:
            sock = socket.socket(fileno=fd)
        except OSError as error:
            raise ListenError(f'{source}: file descriptor {fd} is not a '
                f'socket ({error.strerror})') from None
        listening = (sock.type == socket.SOCK_STREAM and sock.getsockopt(
                socket.SOL_SOCKET, socket.SO_ACCEPTCONN))
        bound = sock.getsockname()
        if found is None and listening and _same_address(bound, host, port):
            sock.set_inheritable(False)
            found = sock
        else:
            # Not ours to close (systemd may hand the unit other sockets).
            sock.detach()
            others.append(f'fd {fd} ({source}): {bound}')
    if candidates and found is None:
        raise ListenError('the sockets handed over do not listen on '
            f'{host}:{port} (the node\'s FastAGI address): '
            + ', '.join(others))
    if found is not None:
        log.info('FastAGI: serving the socket handed over by the '
            'supervisor (%s)', found.getsockname())
    return found
