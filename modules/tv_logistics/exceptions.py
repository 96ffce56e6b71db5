# This file is part of tvcc.  The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
from trytond.exceptions import UserError
from trytond.model.exceptions import ValidationError


class CourierValidationError(ValidationError):
    pass


class ShippingError(UserError):
    pass


class ImportFileError(UserError):
    pass


class SettlementError(UserError):
    pass
