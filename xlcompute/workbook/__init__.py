"""Workbook I/O: reading, checking and evaluating scenario workbooks (openpyxl).

Every workbook is untrusted input: open it with :func:`xlcompute.workbook.guard.open_workbook`.
"""
