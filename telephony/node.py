"""The Asterisk node the bridge serves, as read from the database."""
import os
from dataclasses import dataclass
from pathlib import Path

from tvcc import asterisk_values


class NodeError(Exception):
    "The node record is missing or unusable"


def resolve_secret(ref, what='AMI secret'):
    "Read the secret a reference points to ('env:NAME' or 'file:/path')"
    scheme, _, target = (ref or '').partition(':')
    if scheme == 'env':
        value = os.environ.get(target)
        if not value:
            raise NodeError(
                f'the {what} reference "{ref}" names environment '
                f'variable {target}, which is not set')
        return value.strip()
    if scheme == 'file':
        try:
            value = Path(target).read_text().strip()
        except OSError as error:
            raise NodeError(
                f'cannot read the {what} from "{target}": '
                f'{error.strerror}') from None
        if not value:
            raise NodeError(f'the {what} file "{target}" is empty')
        return value
    raise NodeError(
        f'the {what} reference "{ref}" must be "env:NAME" or '
        '"file:/path"')


@dataclass(frozen=True)
class NodeSettings:
    id: int
    code: str
    name: str
    ami_host: str
    ami_port: int
    ami_username: str
    ami_secret_ref: str
    agi_host: str
    agi_port: int
    instance_path: str
    host_path: str
    agi_secret_ref: str = None

    @property
    def ami_secret(self):
        return resolve_secret(self.ami_secret_ref)

    @property
    def agi_token(self):
        """The token every FastAGI request is keyed with: the dialplan sends
        SHA1(token + UNIQUEID), the bridge checks it (telephony/agi.py)"""
        if not self.agi_secret_ref:
            raise NodeError(
                f'node "{self.code}" has no FastAGI token reference: set it '
                'on the Asterisk node form (e.g. file:/var/lib/tvcc/secrets/'
                f'agi-{self.code}.secret)')
        token = resolve_secret(self.agi_secret_ref, 'FastAGI token')
        if not asterisk_values.is_safe('token', token):
            raise NodeError(
                f'the FastAGI token of node "{self.code}" must be 16 to 128 '
                'letters, digits, "-" or "_"')
        return token

    @classmethod
    def from_record(cls, node):
        return cls(
            id=node.id, code=node.code, name=node.name,
            ami_host=node.ami_host, ami_port=node.ami_port,
            ami_username=node.ami_username,
            ami_secret_ref=node.ami_secret_ref,
            agi_host=node.agi_host, agi_port=node.agi_port,
            instance_path=node.instance_path, host_path=node.host_path,
            agi_secret_ref=getattr(node, 'agi_secret_ref', None))


def read_node(pool, code=None):
    "Return the NodeSettings of the node with code (or the only active one)"
    Node = pool.get('callcenter.node')
    domain = [('code', '=', code)] if code else []
    nodes = Node.search(domain)
    if not nodes:
        raise NodeError(
            f'no active Asterisk node with code "{code}"' if code
            else 'no active Asterisk node is configured')
    if len(nodes) > 1:
        raise NodeError(
            'several Asterisk nodes are active: start the bridge with '
            '--node CODE (' + ', '.join(n.code for n in nodes) + ')')
    return NodeSettings.from_record(nodes[0])
