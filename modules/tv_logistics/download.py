# This file is part of tvcc.  The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
"Every file logistics and finance download goes through one dialog"
from trytond.model import ModelView, fields
from trytond.pool import Pool
from trytond.wizard import Button, StateTransition, StateView, Wizard


class FileResult(ModelView):
    "A file ready to download"
    __name__ = 'tv.logistics.file'
    __string__ = "Download"

    file = fields.Binary("File", filename='filename', readonly=True)
    filename = fields.Char("File Name", readonly=True)
    summary = fields.Text("Summary", readonly=True)


class FileWizard(Wizard):
    """Base of the download wizards: make_file() returns
    (file bytes, file name, summary) for the current record"""
    start_state = 'make'
    make = StateTransition()
    result = StateView('tv.logistics.file',
        'tv_logistics.file_result_view_form', [
            Button("Close", 'end', 'tryton-close', default=True),
            ])

    def transition_make(self):
        return 'result'

    def default_result(self, fields):
        data, filename, summary = self.make_file()
        Pool().get('tv.audit.log').record(
            self.model, self.records, 'download', action=filename)
        return {'file': data, 'filename': filename, 'summary': summary}

    def make_file(self):
        raise NotImplementedError
