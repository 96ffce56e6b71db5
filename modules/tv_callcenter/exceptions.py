# This file is part of tvcc.  The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
from trytond.exceptions import UserError
from trytond.model.exceptions import AccessError, ValidationError


class NodeValidationError(ValidationError):
    pass


class CalendarValidationError(ValidationError):
    pass


class CallerListValidationError(ValidationError):
    pass


class PromptError(UserError):
    pass


class IVRValidationError(ValidationError):
    pass


class QueueValidationError(ValidationError):
    pass


class AgentValidationError(ValidationError):
    pass


class AgentError(UserError):
    pass


class TrunkValidationError(ValidationError):
    pass


class AsteriskValueError(ValidationError):
    "A value Asterisk would read as something else (tvcc.asterisk_values)"
    pass


class ClientWriteError(AccessError):
    "A client set a workflow state or a read-only field"
    pass


class AuditLogReadOnlyError(AccessError):
    "A client tried to create, change or delete an audit log entry"
    pass


class AuditExportError(AccessError):
    "A user without the right tried to bulk-export personal data"
    pass


class CustomerAccessError(AccessError):
    "A client linked a record to a customer it may not read"


class ConfigurationValidationError(ValidationError):
    pass


class VoicemailValidationError(ValidationError):
    pass


class ReportError(UserError):
    pass


class CallControlError(UserError):
    pass
