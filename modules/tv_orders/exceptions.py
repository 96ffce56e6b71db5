# This file is part of tvcc.  The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
from trytond.exceptions import UserError
from trytond.model.exceptions import ValidationError


class MediaValidationError(ValidationError):
    pass


class CustomerValidationError(ValidationError):
    pass


class OrderError(UserError):
    pass


class OrderValidationError(ValidationError):
    pass


class RefundError(UserError):
    pass


class RefundValidationError(ValidationError):
    pass


class LeadError(UserError):
    pass
