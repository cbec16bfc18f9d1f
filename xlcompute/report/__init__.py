"""PDF cost proposals from scenario workbooks: context, charts, templates, rendering.

``report_workbook("scenario.xlsx")`` (:mod:`xlcompute.report.render`) writes ``scenario.pdf``.
"""
