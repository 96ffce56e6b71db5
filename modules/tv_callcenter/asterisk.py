# This file is part of tvcc.  The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
"""Values of the configuration that Asterisk reads: refused where entered.

The allow-lists are tvcc.asterisk_values, the one place the bridge checks
them too before it renders anything; here a model names its fields and their
kind, and a value that fails is refused with a message saying what the field
accepts.
"""
from trytond.i18n import gettext

from tvcc import asterisk_values

from .exceptions import AsteriskValueError


class AsteriskValuesMixin:
    "Refuse values of the fields in _asterisk_values that Asterisk would misread"
    __slots__ = ()
    # {field name: kind of tvcc.asterisk_values}
    _asterisk_values = {}

    @classmethod
    def validate_fields(cls, records, field_names):
        super().validate_fields(records, field_names)
        for name, kind in cls._asterisk_values.items():
            if field_names and name not in field_names:
                continue
            for record in records:
                value = getattr(record, name)
                if value in (None, ''):
                    continue
                if not asterisk_values.is_safe(kind, value):
                    raise AsteriskValueError(gettext(
                            'tv_callcenter.msg_asterisk_value_invalid',
                            field=cls.__names__(name)['field'],
                            record=record.rec_name,
                            rule=gettext(
                                f'tv_callcenter.msg_asterisk_kind_{kind}')))
