# This file is part of tvcc.  The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
import os

from sql import Column, Null

from trytond.filestore import filestore
from trytond.i18n import gettext
from trytond.model import (
    DeactivableMixin, ModelSQL, ModelView, Unique, fields)
from trytond.pyson import Eval
from trytond.transaction import Transaction
from .guard import ClientGuardMixin
from tvcc import tts

from .asterisk import AsteriskValuesMixin
from .configuration import ConfigChangeMixin
from .exceptions import PromptError


class Prompt(AsteriskValuesMixin, ClientGuardMixin, ConfigChangeMixin, DeactivableMixin, ModelSQL, ModelView):
    "A voice prompt: text spoken by TTS or an uploaded recording"
    __name__ = 'callcenter.prompt'
    __string__ = "Voice Prompt"

    name = fields.Char("Name", required=True)
    code = fields.Char(
        "Code", required=True,
        help="Stable identifier; the sound file is named after it.")
    source = fields.Selection([
            ('tts', "Text to speech"),
            ('upload', "Uploaded recording"),
            ], "Source", required=True)
    text = fields.Text(
        "Text", states={
            'required': Eval('source') == 'tts',
            'invisible': Eval('source') != 'tts',
            })
    upload = fields.Binary(
        "Recording", filename='upload_name',
        states={
            'required': Eval('source') == 'upload',
            'invisible': Eval('source') != 'upload',
            })
    upload_name = fields.Char("Recording Name")
    # In the database, not the filestore: every bridge reads prompts, and a
    # bridge on another Asterisk node shares the database, not the disk.
    audio = fields.Binary(
        "Prompt Audio", readonly=True, filename='audio_name',
        help="8 kHz mono WAV played by Asterisk (rendered on save).")
    audio_name = fields.Function(fields.Char("Audio Name"), 'get_audio_name')
    audio_digest = fields.Char("Audio Digest", readonly=True)
    duration = fields.Float("Duration (s)", digits=(6, 1), readonly=True)

    # The sound file Asterisk plays is named after the code.
    _asterisk_values = {'code': 'code'}

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints = [
            ('code_unique', Unique(t, t.code),
                'tv_callcenter.msg_prompt_code_unique'),
            ]

    @classmethod
    def __register__(cls, module):
        super().__register__(module)
        cls._migrate_audio_from_filestore()

    @classmethod
    def _migrate_audio_from_filestore(cls):
        "Audio saved in the filestore by earlier versions moves in the table"
        transaction = Transaction()
        table_h = cls.__table_handler__()
        if not table_h.column_exist('audio_id'):
            return
        table = cls.__table__()
        cursor = transaction.connection.cursor()
        file_id = Column(table, 'audio_id')
        cursor.execute(*table.select(table.id, file_id,
                where=(file_id != Null) & (table.audio == Null)))
        for record_id, audio_id in cursor.fetchall():
            try:
                data = filestore.get(audio_id,
                    prefix=transaction.database.name)
            except OSError:
                continue    # rendered again the next time it is saved
            cursor.execute(*table.update([table.audio],
                    [cls.audio.sql_format(data)],
                    where=table.id == record_id))
        table_h.drop_column('audio_id')

    @classmethod
    def default_source(cls):
        return 'tts'

    def get_audio_name(self, name):
        return f'{self.code}.wav'

    def render_audio(self):
        "Return the 8 kHz WAV bytes of this prompt"
        try:
            if self.source == 'tts':
                return tts.synthesize(self.text)
            suffix = os.path.splitext(self.upload_name or '')[1] or '.wav'
            return tts.convert(self.upload, suffix)
        except tts.TTSError as error:
            raise PromptError(gettext(
                    'tv_callcenter.msg_prompt_render_failed',
                    prompt=self.rec_name, error=str(error))) from error

    @classmethod
    def preprocess_values(cls, mode, values):
        values = super().preprocess_values(mode, values)
        if values.get('code'):
            values['code'] = values['code'].strip()
        return values

    @classmethod
    def on_modification(cls, mode, prompts, field_names=None):
        if mode in {'create', 'write'} and (field_names is None or
                field_names & {'source', 'text', 'upload'}):
            to_write = []
            for prompt in prompts:
                audio = prompt.render_audio()
                to_write.extend([[prompt], {
                            'audio': audio,
                            'audio_digest': tts.digest(audio),
                            'duration': round(tts.wav_duration(audio), 1),
                            }])
            if to_write:
                cls.write(*to_write)
        super().on_modification(mode, prompts, field_names=field_names)
