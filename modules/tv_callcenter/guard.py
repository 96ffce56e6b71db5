# This file is part of tvcc.  The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
"""The server keeps what the form shows read-only.

Tryton's clients obey ``readonly`` and ``states``; the server does not. A
client (JSON-RPC, proteus) may send any value to ``create``/``write``. The
guard refuses, in those calls, the workflow state and every field the model
declares read-only (statically, or by ``states`` for this record): they
change only through the buttons, wizards and internal code that own them.

How the server tells them apart (trytond 8.0): a client's ``create`` and
``write`` run with ``Transaction().check_access`` on (``RPC.convert`` sets
``_check_access``), while ``ModelView.button`` bodies, wizard transitions,
crons, queue tasks and the bridge (user 0) run without it.
"""
from trytond.i18n import gettext
from trytond.model import fields
from trytond.model.modelstorage import _record_eval_pyson
from trytond.pool import Pool, PoolMeta
from trytond.transaction import Transaction, without_check_access

from .exceptions import ClientWriteError

_UNGUARDED = frozenset({
        'id', 'rec_name', 'create_uid', 'create_date', 'write_uid',
        'write_date'})
_X2MANY = (fields.One2Many, fields.Many2Many)


def _is_client_call():
    transaction = Transaction()
    return bool(transaction.user and transaction.check_access)


def _changes(field, current, value):
    "Whether value, as a client sends it, differs from current"
    if isinstance(field, _X2MANY):
        # Commands: a change when any of them carries something.
        return any(len(command) > 1 and command[1]
            for command in (value or []))
    if isinstance(field, (fields.Many2One, fields.One2One)):
        current = getattr(current, 'id', current)
        value = getattr(value, 'id', value)
        return (current or None) != (value or None)
    if isinstance(field, fields.Reference):
        return (str(current) if current else None) != (value or None)
    if isinstance(field, fields.Boolean):
        return bool(current) != bool(value)
    if isinstance(field, (fields.Char, fields.Text, fields.Selection)):
        return (current or None) != (value or None)
    return current != value


def _refusal_order(guarded, by_states):
    """The fields to check, the workflow state and the always read-only
    first: they are what the client tried to set, the others follow"""
    return sorted(guarded) + sorted(set(by_states) - set(guarded))


class ClientGuardMixin:
    "A client may not set the workflow state or a field shown read-only"
    __slots__ = ()

    @classmethod
    def _client_guarded_fields(cls):
        """The field names a client never sets, whatever the record: the
        workflow state and the fields declared read-only"""
        names = {name for name, field in cls._fields.items()
            if field.readonly and name not in _UNGUARDED}
        state = getattr(cls, '_transition_state', None)
        for name in {state, 'state'}:
            if name in cls._fields:
                names.add(name)
        return names

    @classmethod
    def _client_readonly_by_states(cls, record, names, defaults=None):
        """Those of names read-only on record by their states (for a new
        record, each judged with its own value back at its default: a value
        entered does not lock itself)"""
        User = Pool().get('res.user')
        readonly = set()
        with Transaction().set_context(groups=User.get_groups()):
            for name in names:
                states = getattr(cls._fields[name], 'states', None) or {}
                if 'readonly' not in states:
                    continue
                if defaults is not None:
                    given = getattr(record, name, None)
                    setattr(record, name, defaults.get(name))
                try:
                    if _record_eval_pyson(record, states['readonly']):
                        readonly.add(name)
                except Exception:
                    # A condition on a value the new record lacks.
                    continue
                finally:
                    if defaults is not None:
                        setattr(record, name, given)
        return readonly

    @classmethod
    def copy(cls, records, default=None):
        # A client's copy starts its workflow again (and so passes the guard).
        state = getattr(cls, '_transition_state', None)
        if _is_client_call() and state in cls._fields:
            default = default.copy() if default is not None else {}
            default.setdefault(state, cls.default_get(
                    [state], with_rec_name=False).get(state))
        return super().copy(records, default=default)

    @classmethod
    def create(cls, vlist):
        if _is_client_call():
            cls._check_client_create(vlist)
        return super().create(vlist)

    @classmethod
    def _check_client_create(cls, vlist):
        "A new record starts from the defaults of what a client may not set"
        guarded = cls._client_guarded_fields()
        defaults = None
        with without_check_access():
            for values in vlist:
                names = set(values) - _UNGUARDED
                if not names:
                    continue
                if defaults is None:
                    # All of them: the states of a field read other fields.
                    defaults = cls.default_get(
                        list(cls._fields), with_rec_name=False)
                record = cls(**{n: v for n, v in {**defaults, **values}.items()
                        if not isinstance(cls._fields.get(n), _X2MANY)})
                by_states = cls._client_readonly_by_states(
                    record, names - guarded - {
                        n for n in names
                        if isinstance(cls._fields.get(n), _X2MANY)},
                    defaults=defaults)
                for name in _refusal_order(guarded & names, by_states):
                    if _changes(cls._fields[name], defaults.get(name),
                            values[name]):
                        raise ClientWriteError(gettext(
                                'tv_callcenter.msg_client_create_readonly',
                                **cls.__names__(field=name)))

    @classmethod
    def check_modification(cls, mode, records, values=None, external=False):
        super().check_modification(
            mode, records, values=values, external=external)
        if mode == 'write' and external and values:
            cls._check_client_write(records, values)

    @classmethod
    def _check_client_write(cls, records, values):
        names = set(values) - _UNGUARDED
        if not names:
            return
        guarded = cls._client_guarded_fields() & names
        for record in records:
            by_states = cls._client_readonly_by_states(
                record, names - guarded)
            for name in _refusal_order(guarded, by_states):
                if _changes(cls._fields[name], getattr(record, name, None),
                        values[name]):
                    raise ClientWriteError(gettext(
                            'tv_callcenter.msg_client_write_readonly',
                            **cls.__names__(field=name, record=record)))


# agent.py belongs to the agent desk: its models take the guard here,
# registered right after them in tryton.cfg.
class Skill(ClientGuardMixin, metaclass=PoolMeta):
    __name__ = 'callcenter.skill'


class PauseReason(ClientGuardMixin, metaclass=PoolMeta):
    __name__ = 'callcenter.pause_reason'


class Agent(ClientGuardMixin, metaclass=PoolMeta):
    __name__ = 'callcenter.agent'


class AgentSkill(ClientGuardMixin, metaclass=PoolMeta):
    __name__ = 'callcenter.agent.skill'


class AgentStateLog(ClientGuardMixin, metaclass=PoolMeta):
    __name__ = 'callcenter.agent.state_log'
