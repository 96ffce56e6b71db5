# This file is part of tvcc.  The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
from trytond.exceptions import UserError
from trytond.model.exceptions import ValidationError


class CampaignError(UserError):
    pass


class CampaignValidationError(ValidationError):
    pass


class NumberValidationError(ValidationError):
    pass


class NumberImportError(UserError):
    pass


class DNCValidationError(ValidationError):
    pass


class TrunkCallerIDError(ValidationError):
    pass


class DeskCallError(UserError):
    pass


class CallbackValidationError(ValidationError):
    pass
