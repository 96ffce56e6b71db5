# This file is part of tvcc.  The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
import datetime as dt

from trytond.model.exceptions import ValidationError
from trytond.pool import Pool
from trytond.tests.test_tryton import ModuleTestCase, with_transaction


class TVOrdersTestCase(ModuleTestCase):
    "Test TV Orders module"
    module = 'tv_orders'

    def _channel(self):
        Channel = Pool().get('tv.channel')
        channel, = Channel.create([{'name': "购物频道", 'code': 'GW'}])
        return channel

    @with_transaction()
    def test_media_hotline_normalised(self):
        "A hotline typed with dashes is stored in E.164"
        Media = Pool().get('tv.media')
        medium, = Media.create([{
                    'channel': self._channel(),
                    'programme': "健康早班车",
                    'start_time': dt.time(8), 'end_time': dt.time(9),
                    'hotline': '400-800-1234',
                    }])
        self.assertEqual(medium.hotline, '+864008001234')
        self.assertEqual(medium.rec_name, "购物频道 / 健康早班车")
        self.assertEqual(Media.search([('rec_name', 'ilike', '%早班%')]),
            [medium])

    @with_transaction()
    def test_media_hotline_invalid(self):
        "An invalid hotline is refused with the number in the message"
        Media = Pool().get('tv.media')
        with self.assertRaisesRegex(ValidationError, '400-12'):
            Media.create([{
                        'channel': self._channel(),
                        'programme': "夜间特卖",
                        'hotline': '400-12',
                        }])

    @with_transaction()
    def test_media_empty_slot(self):
        "A slot that starts and ends at the same time is refused"
        Media = Pool().get('tv.media')
        with self.assertRaisesRegex(ValidationError, 'same time'):
            Media.create([{
                        'channel': self._channel(),
                        'programme': "夜间特卖",
                        'start_time': dt.time(22), 'end_time': dt.time(22),
                        }])


del ModuleTestCase
