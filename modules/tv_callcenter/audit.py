# This file is part of tvcc.  The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
"""The audit log (操作日志): who did what, when, from where.

One mechanism: Tryton already reports every client action on a record
through ``ModelStorage.log`` (buttons, wizards, deletions), and every change
of a record through ``write``. ``AuditMixin`` hooks those two, plus
``create`` and ``export_data``, on the models listed in each module's
``audit.py`` (reports take ``AuditExportMixin``: their exports only);
downloads and recording playback call ``AuditLog.record``.

An entry holds the record's values before and after the action: a button's
entry gathers every change the button made to its record (the state moved
by its transitions, the reviewer it set), a client's save the fields it
changed. Entries are written by the server only: a client can read them
(managers and administrators) but never create, change or delete one.
"""
import datetime as dt
import weakref

from trytond.i18n import gettext
from trytond.model import ModelSQL, ModelView, fields
from trytond.pool import Pool, PoolMeta
from trytond.transaction import Transaction, without_check_access

from .exceptions import AuditExportError, AuditLogReadOnlyError
from .guard import ClientGuardMixin, _is_client_call

EVENTS = [
    ('button', "Action"),
    ('wizard', "Wizard"),
    ('transition', "Status Change"),
    ('create', "Created"),
    ('write', "Modified"),
    ('delete', "Deleted"),
    ('export', "Export"),
    ('export_refused', "Export Refused"),
    ('download', "Download"),
    ('recording', "Recording Played"),
    ('credentials', "Phone Credentials Handed Out"),
    ]
# Never shown in an entry: bookkeeping (secrets are masked, _is_secret).
_SKIPPED = frozenset({
        'id', 'create_uid', 'create_date', 'write_uid', 'write_date',
        'rec_name'})
_SECRET_WORDS = ('password', 'secret', 'token')
_MASK = '******'
_MAX_VALUE = 200
_MAX_IDS = 1000

# The entry each record's actions of the current transaction go to:
# {transaction: {(model, id): (entry id, open, before, after)}}.
_pending = weakref.WeakKeyDictionary()


def _transaction_pending():
    return _pending.setdefault(Transaction(), {})


def _is_secret(name):
    return any(word in name for word in _SECRET_WORDS)


def origin():
    """Where the action came from: the client's IP address, else the
    process that runs without a request"""
    transaction = Transaction()
    address, _ = transaction.remote_address()
    if address:
        return str(address)
    context = transaction.context
    if context.get('_cron'):
        return 'cron'
    if context.get('queue_name') or context.get('queue_batch'):
        return 'queue'
    if not transaction.user:
        return 'bridge'
    return 'server'


class AuditExportMixin:
    """The model's bulk exports reach the audit log (reports: a table_query
    model must keep ModelSQL's write, Tryton reads it as not writable).

    _audit_export_groups: the XML ids of the groups that may bulk-export
    the model (personal data); None lets whoever reads the model export it.
    """
    __slots__ = ()
    _audit_export_groups = None

    @classmethod
    def export_data(cls, records, fields_names, header=False):
        if _is_client_call():
            AuditLog = Pool().get('tv.audit.log')
            AuditLog.check_export(cls)
            AuditLog.record(cls, records, 'export',
                action=', '.join(fields_names))
        return super().export_data(records, fields_names, header=header)


class AuditMixin(AuditExportMixin):
    "Every action on the records of this model reaches the audit log"
    __slots__ = ()

    @classmethod
    def _audit_state_name(cls):
        "The workflow state field, if the model has one"
        name = getattr(cls, '_transition_state', None)
        return name if name in cls._fields else None

    @classmethod
    def _audit_fields(cls):
        "The stored fields whose values an entry shows"
        return [n for n, f in cls._fields.items()
            if n not in _SKIPPED and f._type != 'binary'
            # Totals Tryton caches on the record, not what a user set.
            and not n.endswith('_cache')
            # Function fields only when they are set (a password).
            and (not hasattr(f, 'getter') or getattr(f, 'setter', None))]

    @classmethod
    def log(cls, records, event, target=None, user=None, **extra):
        super().log(records, event, target=target, user=user, **extra)
        if event in {'button', 'wizard', 'delete'} and records:
            Pool().get('tv.audit.log').record_event(
                cls, records, event, target)

    @classmethod
    def create(cls, vlist):
        client = _is_client_call()
        records = super().create(vlist)
        if client:
            Pool().get('tv.audit.log').record_create(
                cls, records, {n for v in vlist for n in v})
        return records

    @classmethod
    def write(cls, *args):
        AuditLog = Pool().get('tv.audit.log')
        tracked = AuditLog.before_write(cls, args)
        super().write(*args)
        if tracked:
            AuditLog.after_write(cls, tracked)


class AuditLog(ClientGuardMixin, ModelSQL, ModelView):
    "One business action: who, when, what, from where, before and after"
    __name__ = 'tv.audit.log'
    __string__ = "Audit Log"

    date = fields.DateTime("Date", required=True, readonly=True)
    user = fields.Many2One('res.user', "User", readonly=True,
        ondelete='RESTRICT')
    origin = fields.Char("From", readonly=True,
        help="The client's IP address, or the process without a request "
        "(bridge, cron, queue, server).")
    event = fields.Selection(EVENTS, "Event", required=True, readonly=True)
    action = fields.Char("Action", readonly=True,
        help="The button, wizard or exported fields.")
    model = fields.Many2One('ir.model', "Model", readonly=True,
        ondelete='SET NULL')
    record_id = fields.Integer("Record ID", readonly=True)
    record_name = fields.Char("Record", readonly=True,
        help="The record's name at the time of the action.")
    record_count = fields.Integer("Records", readonly=True)
    record_ids = fields.Text("Record IDs", readonly=True)
    before = fields.Text("Before", readonly=True)
    after = fields.Text("After", readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('date', 'DESC'), ('id', 'DESC')]

    @classmethod
    def default_date(cls):
        return dt.datetime.now()

    # -- a client never creates, changes or deletes an entry --

    @classmethod
    def _check_server_only(cls):
        if _is_client_call():
            raise AuditLogReadOnlyError(gettext(
                    'tv_callcenter.msg_audit_log_read_only'))

    @classmethod
    def create(cls, vlist):
        cls._check_server_only()
        return super().create(vlist)

    @classmethod
    def write(cls, *args):
        cls._check_server_only()
        super().write(*args)

    @classmethod
    def delete(cls, entries):
        cls._check_server_only()
        super().delete(entries)

    @classmethod
    def copy(cls, entries, default=None):
        cls._check_server_only()
        return super().copy(entries, default=default)

    # -- writing entries (server side) --

    @classmethod
    def _model_id(cls, name):
        IrModel = Pool().get('ir.model')
        with without_check_access():
            models = IrModel.search([('name', '=', name)], limit=1)
        return models[0].id if models else None

    @classmethod
    def _base(cls, Model, event, action=None):
        return {
            'date': dt.datetime.now(),
            'user': Transaction().user or None,
            'origin': origin(),
            'event': event,
            'action': action,
            'model': cls._model_id(Model.__name__),
            }

    @classmethod
    def _record_apart(cls, database_name, values):
        "Write the entry of values in a transaction of its own"
        with Transaction(new=True).start(database_name, 0) as transaction:
            User = Pool().get('res.user')
            if values['user'] and not User.search(
                    [('id', '=', values['user'])]):
                # A user of the transaction rolled back (module tests)
                values = {**values, 'user': None}
            cls.create([values])
            transaction.commit()

    @classmethod
    def _save(cls, vlist):
        transaction = Transaction()
        if transaction.readonly:
            # A read (an export, a recording played) writes its entry in a
            # transaction of its own, committed whatever follows.
            with transaction.new_transaction(readonly=False) as writing, \
                    without_check_access():
                ids = [e.id for e in cls.create(vlist)]
                writing.commit()
            return cls.browse(ids)
        with without_check_access():
            return cls.create(vlist)

    @classmethod
    def record(cls, Model, records, event, action=None):
        """One entry for an action on many records at once (an export, a
        download, a recording played)"""
        records = list(records)
        values = cls._base(Model, event, action=action)
        values['record_count'] = len(records)
        if len(records) == 1:
            with without_check_access():
                record, = Model.browse(records)
                values['record_id'] = record.id
                values['record_name'] = cls._name_of(record)
        else:
            values['record_ids'] = ', '.join(
                str(r.id) for r in records[:_MAX_IDS])
        return cls._save([values])[0]

    @classmethod
    def check_export(cls, Model):
        "Only the groups that need it bulk-export personal data"
        pool = Pool()
        ModelData = pool.get('ir.model.data')
        User = pool.get('res.user')
        xml_ids = Model._audit_export_groups
        if xml_ids is None or not Transaction().user:
            return
        allowed = {ModelData.get_id(*x.split('.')) for x in xml_ids}
        if not allowed & set(User.get_groups()):
            # Who tried to take the customer list is what the log is for:
            # written once the refusal has rolled its transaction back.
            transaction = Transaction()
            transaction.atexit(cls._record_apart, transaction.database.name,
                cls._base(Model, 'export_refused'))
            raise AuditExportError(gettext(
                    'tv_callcenter.msg_audit_export_refused',
                    **Model.__names__()))

    @classmethod
    def record_event(cls, Model, records, event, target):
        "A button clicked, a wizard run or records deleted by a client"
        pending = _transaction_pending()
        label = cls._action_label(Model, event, target)
        with without_check_access():
            records = Model.browse([r.id for r in records if r.id >= 0])
            if event == 'wizard':
                # The wizard's changes are made before Tryton reports it:
                # name the entries they opened.
                vlist, to_name = [], []
                for record in records:
                    key = (Model.__name__, record.id)
                    if key in pending and not pending[key][1]:
                        to_name.append(cls(pending[key][0]))
                    else:
                        vlist.append(cls._entry(
                                Model, record, event, label))
                if to_name:
                    cls.write(to_name, {'action': label, 'event': event})
                cls._save(vlist)
                return
            state = Model._audit_state_name()
            vlist = []
            for record in records:
                before = (cls._snapshot(record, Model._audit_fields())
                    if event == 'delete'
                    else cls._snapshot(record, [state] if state else []))
                vlist.append(cls._entry(Model, record, event, label,
                        before=before))
            entries = cls._save(vlist)
            if event == 'button':
                # The changes the button makes go to its entry.
                for record, entry in zip(records, entries):
                    pending[(Model.__name__, record.id)] = (
                        entry.id, True,
                        cls._snapshot(record, [state] if state else []),
                        {})

    @classmethod
    def record_create(cls, Model, records, names):
        "A client created records: their values as given"
        names = [n for n in Model._audit_fields() if n in names]
        with without_check_access():
            records = Model.browse(records)
            cls._save([cls._entry(Model, r, 'create', None,
                        after={n: v for n, v in cls._snapshot(r, names).items()
                            if v != ''})
                    for r in records])

    @classmethod
    def before_write(cls, Model, args):
        """The values a write is about to change, of the records whose
        change is audited: a client's write, a workflow move, and any
        change inside a button clicked by a client"""
        client = _is_client_call()
        pending = _transaction_pending()
        state = Model._audit_state_name()
        audited = set(Model._audit_fields())
        tracked = []
        actions = iter(args)
        with without_check_access():
            for records, values in zip(actions, actions):
                names = set(values) & audited
                for record in Model.browse(records):
                    key = (Model.__name__, record.id)
                    is_open = key in pending and pending[key][1]
                    if client or is_open:
                        wanted = names
                    elif state in names:
                        wanted = {state}
                    else:
                        continue
                    if wanted:
                        tracked.append((record.id, sorted(wanted),
                                cls._snapshot(record, wanted)))
        return tracked

    @classmethod
    def after_write(cls, Model, tracked):
        "Record what the write changed, next to what it was"
        client = _is_client_call()
        pending = _transaction_pending()
        state = Model._audit_state_name()
        to_create, created_keys = [], []
        with without_check_access():
            for record_id, names, before in tracked:
                record, = Model.browse([record_id])
                after = cls._snapshot(record, names)
                # A secret shows masked: written is changed.
                changed = [n for n in names
                    if before[n] != after[n] or _is_secret(n)]
                if not changed:
                    continue
                key = (Model.__name__, record_id)
                entry = pending.get(key)
                if entry and entry[1]:
                    entry_id, _, old, new = entry
                    for name in changed:
                        old.setdefault(name, before[name])
                        new[name] = after[name]
                    cls.write([cls(entry_id)], {
                            'before': cls._format(Model, old),
                            'after': cls._format(Model,
                                {n: new[n] for n in old if n in new}),
                            })
                    continue
                event = 'write' if client else (
                    'transition' if state in changed else 'write')
                to_create.append(cls._entry(Model, record, event, None,
                        before={n: before[n] for n in changed},
                        after={n: after[n] for n in changed}))
                created_keys.append(key)
            for key, entry in zip(created_keys, cls._save(to_create)):
                pending[key] = (entry.id, False, {}, {})

    @classmethod
    def _entry(cls, Model, record, event, action, before=None, after=None):
        values = cls._base(Model, event, action=action)
        values.update({
                'record_id': record.id,
                'record_name': cls._name_of(record),
                'record_count': 1,
                'before': cls._format(Model, before) if before else None,
                'after': cls._format(Model, after) if after else None,
                })
        return values

    # -- values as the user reads them --

    @classmethod
    def _name_of(cls, record):
        try:
            return (record.rec_name or '')[:_MAX_VALUE]
        except Exception:
            return str(record.id)

    @classmethod
    def _snapshot(cls, record, names):
        "{field: the value shown to the user} of record"
        Model = record.__class__
        snapshot = {}
        for name in names:
            field = Model._fields.get(name)
            if field is None:
                continue
            if _is_secret(name):
                value = getattr(record, name, None)
                snapshot[name] = _MASK if value else ''
                continue
            snapshot[name] = cls._display(Model, record, name, field)
        return snapshot

    @classmethod
    def _display(cls, Model, record, name, field):
        value = getattr(record, name, None)
        if value is None or value == [] or value == ():
            return ''
        if field._type in {'one2many', 'many2many'}:
            return ', '.join(cls._name_of(v) for v in value)[:_MAX_VALUE]
        if field._type in {'many2one', 'one2one', 'reference'}:
            return cls._name_of(value) if hasattr(value, 'rec_name') \
                else str(value)
        if field._type == 'binary':
            return f'({len(value)} bytes)'
        if field._type in {'selection', 'multiselection'}:
            selection = dict(Model.fields_get([name])[name].get(
                    'selection') or [])
            if field._type == 'multiselection':
                return ', '.join(str(selection.get(v, v)) for v in value)
            return str(selection.get(value, value))
        if field._type == 'boolean':
            return '✓' if value else ''
        return str(value)[:_MAX_VALUE]

    @classmethod
    def _format(cls, Model, values):
        "One line per field: its label and its value"
        labels = Model.fields_get(list(values))
        return '\n'.join(
            f"{labels.get(n, {}).get('string', n)}: {v}"
            for n, v in values.items())

    @classmethod
    def _action_label(cls, Model, event, target):
        "The button or wizard as its users read it"
        pool = Pool()
        if event == 'button' and target:
            Button = pool.get('ir.model.button')
            return Button.get_view_attributes(
                Model.__name__, target).get('string') or target
        if event == 'wizard' and target:
            Wizard = pool.get('ir.action.wizard')
            wizard, _, state = target.partition(':')
            try:
                return Wizard.get_name(wizard, Model.__name__)
            except Exception:
                return wizard
        return target


# The models of tv_callcenter whose actions are audited: configuration
# (before/after of every change), customers (personal data), calls
# (recording played), agents (supervisor actions on the desk) and users.
class Configuration(AuditMixin, metaclass=PoolMeta):
    __name__ = 'callcenter.configuration'


class Node(AuditMixin, metaclass=PoolMeta):
    __name__ = 'callcenter.node'


class Calendar(AuditMixin, metaclass=PoolMeta):
    __name__ = 'callcenter.calendar'


class CalendarHours(AuditMixin, metaclass=PoolMeta):
    __name__ = 'callcenter.calendar.hours'


class CalendarHoliday(AuditMixin, metaclass=PoolMeta):
    __name__ = 'callcenter.calendar.holiday'


class CallerList(AuditMixin, metaclass=PoolMeta):
    __name__ = 'callcenter.caller_list'


class Prompt(AuditMixin, metaclass=PoolMeta):
    __name__ = 'callcenter.prompt'


class Queue(AuditMixin, metaclass=PoolMeta):
    __name__ = 'callcenter.queue'


class QueueMember(AuditMixin, metaclass=PoolMeta):
    __name__ = 'callcenter.queue.member'


class Skill(AuditMixin, metaclass=PoolMeta):
    __name__ = 'callcenter.skill'


class PauseReason(AuditMixin, metaclass=PoolMeta):
    __name__ = 'callcenter.pause_reason'


class Agent(AuditMixin, metaclass=PoolMeta):
    __name__ = 'callcenter.agent'


class AgentSkill(AuditMixin, metaclass=PoolMeta):
    __name__ = 'callcenter.agent.skill'


class Flow(AuditMixin, metaclass=PoolMeta):
    __name__ = 'callcenter.ivr.flow'


class IVRNode(AuditMixin, metaclass=PoolMeta):
    __name__ = 'callcenter.ivr.node'


class Option(AuditMixin, metaclass=PoolMeta):
    __name__ = 'callcenter.ivr.option'


class Trunk(AuditMixin, metaclass=PoolMeta):
    __name__ = 'callcenter.trunk'


class DID(AuditMixin, metaclass=PoolMeta):
    __name__ = 'callcenter.did'


class VoicemailBox(AuditMixin, metaclass=PoolMeta):
    __name__ = 'callcenter.voicemail'


class User(AuditMixin, metaclass=PoolMeta):
    __name__ = 'res.user'


class Role(AuditMixin, metaclass=PoolMeta):
    __name__ = 'res.role'


class UserRole(AuditMixin, metaclass=PoolMeta):
    __name__ = 'res.user.role'


class Party(AuditMixin, metaclass=PoolMeta):
    __name__ = 'party.party'
    _audit_export_groups = ('tv_callcenter.group_manager',)


class Address(AuditMixin, metaclass=PoolMeta):
    __name__ = 'party.address'
    _audit_export_groups = ('tv_callcenter.group_manager',)


class ContactMechanism(AuditMixin, metaclass=PoolMeta):
    __name__ = 'party.contact_mechanism'
    _audit_export_groups = ('tv_callcenter.group_manager',)


class CallControl(AuditMixin, metaclass=PoolMeta):
    "Transfers, consultations, conferences, parks (transfer.py)"
    __name__ = 'callcenter.call.control'


class Call(AuditMixin, metaclass=PoolMeta):
    "Playing or downloading a recording is audited"
    __name__ = 'callcenter.call'

    @classmethod
    def read(cls, ids, fields_names):
        result = super().read(ids, fields_names)
        context = Transaction().context
        # The form reads the recording's size only; its data is read when
        # it is played or downloaded.
        if (_is_client_call() and 'recording' in fields_names
                and context.get(f'{cls.__name__}.recording') != 'size'):
            played = [r['id'] for r in result if r.get('recording')]
            if played:
                Pool().get('tv.audit.log').record(
                    cls, cls.browse(played), 'recording')
        return result
