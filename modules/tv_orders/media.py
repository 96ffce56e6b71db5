# This file is part of tvcc.  The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
from trytond.i18n import gettext
from trytond.model import DeactivableMixin, ModelSQL, ModelView, Unique, fields
from trytond.pyson import Eval
from trytond.modules.tv_callcenter.guard import ClientGuardMixin
from tvcc import phone

from .exceptions import MediaValidationError


class Channel(ClientGuardMixin, DeactivableMixin, ModelSQL, ModelView):
    "TV Channel"
    __name__ = 'tv.channel'
    __string__ = "TV Channel"

    name = fields.Char("Name", required=True)
    code = fields.Char("Code", required=True)
    media = fields.One2Many('tv.media', 'channel', "Programmes")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints = [
            ('code_unique', Unique(t, t.code),
                'tv_orders.msg_channel_code_unique'),
            ]
        cls._order.insert(0, ('name', 'ASC'))


class Media(ClientGuardMixin, DeactivableMixin, ModelSQL, ModelView):
    "TV Medium"
    __name__ = 'tv.media'
    __string__ = "TV Medium"

    channel = fields.Many2One(
        'tv.channel', "Channel", required=True, ondelete='CASCADE')
    programme = fields.Char("Programme", required=True)
    start_time = fields.Time("Start Time")
    end_time = fields.Time(
        "End Time",
        domain=[
            ('end_time', '!=', None)
            if Eval('start_time') else ()])
    hotline = fields.Char(
        "Hotline",
        help="The 400 number shown on screen during the programme.")
    airtime_cost = fields.Numeric("Airtime Cost", digits=(16, 2),
        help="What the slot costs per broadcast, to compare with the "
        "orders it brings.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints = [
            ('hotline_unique', Unique(t, t.hotline),
                'tv_orders.msg_media_hotline_unique'),
            ]
        cls._order = [
            ('channel', 'ASC'), ('start_time', 'ASC'), ('id', 'ASC')]

    def get_rec_name(self, name):
        return f'{self.channel.rec_name} / {self.programme}'

    @classmethod
    def search_rec_name(cls, name, clause):
        _, operator, operand, *extra = clause
        if operator.startswith('!') or operator.startswith('not '):
            bool_op = 'AND'
        else:
            bool_op = 'OR'
        return [bool_op,
            ('programme', operator, operand, *extra),
            ('channel.name', operator, operand, *extra),
            ('hotline', operator, operand, *extra),
            ]

    @fields.depends('hotline')
    def on_change_hotline(self):
        if self.hotline:
            self.hotline = phone.normalize_or_none(self.hotline) or self.hotline

    @classmethod
    def preprocess_values(cls, mode, values):
        values = super().preprocess_values(mode, values)
        return phone.normalize_field(values, 'hotline',
            lambda raw: MediaValidationError(gettext(
                    'tv_orders.msg_media_hotline_invalid', hotline=raw)))

    @classmethod
    def validate_fields(cls, media, field_names):
        super().validate_fields(media, field_names)
        if field_names & {'start_time', 'end_time'}:
            for medium in media:
                if (medium.start_time and medium.end_time
                        and medium.start_time == medium.end_time):
                    raise MediaValidationError(gettext(
                            'tv_orders.msg_media_empty_slot',
                            media=medium.rec_name))
