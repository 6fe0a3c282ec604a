"""Spreadsheets a venue already keeps: reading CSV and XLSX (`spreadsheet`), importing their rows as
registrations (`importer`), and exporting the register an inspector asks to see (`export`).

May import: `agent.register` and the layers below it; never the operations or the command line.
"""
