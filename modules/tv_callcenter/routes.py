# This file is part of tvcc.  The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
"""The login page's database: the one this server was started for.

`[database] list = False` keeps the PostgreSQL server's other databases
(test caches, other instances) off the login page; web/custom.js asks this
route instead, so sao preselects the database trytond serves.
"""
import json

from trytond.pool import Pool
from trytond.protocols.wrappers import Response
from trytond.wsgi import app


@app.route('/tvcc/databases', methods=['GET'])
def databases(request):
    return Response(json.dumps(sorted(Pool.database_list())),
        content_type='application/json')
