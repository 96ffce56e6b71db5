# This file is part of tvcc.  The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
"Long imports and exports: a chunk per transaction, in the background"


class ChunkedWork:
    """Work on a record done at once when it is small, otherwise a chunk
    per background transaction (ir.queue), so that its progress shows.

    The method named is called as ``record.method(limit=None)`` and returns
    whether work remains; it sets the record's progress and, once nothing
    remains, its final state.
    """
    __slots__ = ()

    @classmethod
    def start_chunks(cls, records, method, state, size, chunk):
        """Run method on each record: at once if size(record) <= chunk,
        else in the background while the record stays in state"""
        for record in records:
            if size(record) <= chunk:
                getattr(record, method)()
            else:
                cls.__queue__.run_chunk([record], method, state, chunk)

    @classmethod
    def run_chunk(cls, records, method, state, chunk):
        "Background task: the next chunk of method, then queue the rest"
        for record in records:
            # Reset or cancelled meanwhile: the work stops.
            if getattr(record, cls._transition_state) != state:
                continue
            if getattr(record, method)(limit=chunk):
                cls.__queue__.run_chunk([record], method, state, chunk)
