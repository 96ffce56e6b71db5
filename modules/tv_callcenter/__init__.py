# This file is part of tvcc.  The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
# Classes are registered in tryton.cfg [register] (Tryton 8.0 style).
from . import routes  # noqa: F401  (web routes register on import)
from . import softphone  # noqa: F401
