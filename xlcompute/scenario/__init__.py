"""Scenario layer: setups (the one wiring of ids, prices and defaults), serving speed and the planner.

Sits above the core formulas and the catalogs and below the Excel function registry and the
faces (Excel adapter, workbook, report, CLI).
"""
