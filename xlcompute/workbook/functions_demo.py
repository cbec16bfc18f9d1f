"""Generate ``workbooks/excel_functions.xlsx``: every xlcompute Excel function, used once or more.

Sheets:

- **Inputs**: the example's inputs as workbook-level names (``Model``, ``GPU``, ``Params`` ...).
- **Functions**: one row per call: the function, the formula as typed (text), the live formula,
  the unit and what it answers. Optional arguments are left out in some rows and passed in
  others, so both show.
- **Arrays**: ranges in, spilled ranges out: a column of scenarios, a column x row grid, a
  column of model ids, and the table functions (MODEL_INFO, GPU_SPEC, PLAN). Each spilling
  formula is a *dynamic array* (Excel 365 spills it and re-sizes the spill itself; no
  Ctrl+Shift+Enter): an array formula over exactly the cells its result fills, marked dynamic
  by the package's cell metadata (``xl/metadata.xml``, Excel's ``XLDAPR`` type with
  ``fDynamic="1"``, which openpyxl cannot write, so :func:`mark_dynamic_arrays` adds it).
  Older Excel reads the same formula as an array formula over that range; the headless
  ``formulas`` engine evaluates it as one call.

Every formula cell, and every cell a spilling formula fills, stores the value xlcompute computes
(:func:`.recalc.store_cached_values`), and each sheet prints one page wide (:mod:`.print_setup`):
Excel without the add-in shows the numbers. LibreOffice recalculates every array formula when it
opens a file, whatever value is stored, so there the Arrays and Tables sheets show ``#NAME?``
(the Functions sheet, plain formulas, shows the stored values); there is no marking of an array
formula that LibreOffice would keep, and a plain formula does not spill in Excel.

The formulas are evaluated by Excel with the add-in (classic "UDF Modules" or xlwings Lite)
or headless by :mod:`xlcompute.workbook.evaluate`. ``python -m xlcompute.workbook.functions_demo``
rewrites the shipped file; a test fails when it is out of date.
"""

from __future__ import annotations

import datetime as _dt
import re
import sys
import zipfile
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.formula import ArrayFormula

from ..atomic import atomic_write
from ..functions import REGISTRY, is_error
from .print_setup import setup_workbook
from .recalc import store_cached_values
from .write import pin_dates

FILENAME = "excel_functions.xlsx"
#: The file's dates (zip entries, document properties): regenerating it changes no byte.
FIXED_TIMESTAMP = _dt.datetime(2025, 6, 2, 9, 0, 0)

#: (name, value, unit, note) of the Inputs sheet; each becomes a workbook-level name.
INPUTS: tuple[tuple[str, object, str, str], ...] = (
    ("Model", "llama-3.1-70b", "", "catalog id, Hugging Face repo name or path to a config.json"),
    ("SmallModel", "meta-llama/Llama-3.1-8B", "", "a Hugging Face repo name works too"),
    ("MoEModel", "mixtral-8x7b", "", "mixture of experts: total vs active parameters"),
    ("GPU", "h100-sxm", "", "catalog id (see GPU_SPEC)"),
    ("Params", 70e9, "parameters", "trained parameters"),
    ("Tokens", 15e12, "tokens", "training tokens"),
    ("GPUs", 1024, "GPUs", "GPUs training together"),
    ("Days", 90, "days", "deadline"),
    ("MFU", 0.4, "", "model FLOPs utilisation"),
    ("Price", 2.5, "USD/GPU-hour", "negotiated price"),
    ("Context", 8192, "tokens", "context per sequence"),
    ("Batch", 16, "sequences", "concurrent sequences"),
    ("Rate", 20, "requests/s", "request rate"),
    ("Grid", 0.4, "kg CO2e/kWh", "grid carbon intensity of the site (example)"),
    ("Months", 36, "months", "term compared for rent or buy"),
    ("Rate_pa", 0.08, "1/year", "discount rate"),
    ("ServerPrice", 300000, "USD", "purchase price of one 8-GPU server (example)"),
    ("RunCost", 4000, "USD/month", "power, colocation and staff of the server (example)"),
    ("Rent", 12000, "USD/month", "rent of the same 8 GPUs (example)"),
    ("ApiIn", 0.6, "USD/Mtok", "API list price per million input tokens (example)"),
    ("ApiOut", 2.4, "USD/Mtok", "API list price per million output tokens (example)"),
    ("Server", "dgx-h100", "", "server catalog id (see SERVER_PRICE)"),
    ("Region", "us-central1", "", "grid region id or location (see GRID_INTENSITY)"),
)

#: (formula, unit, what it answers) rows of the Functions sheet.
CALLS: tuple[tuple[str, str, str], ...] = (
    ("=XLCOMPUTE_VERSION()", "", "installed xlcompute version"),
    ("=TRAIN_FLOPS(Params,Tokens)", "FLOP", "training compute, 6 x P x T"),
    ("=TRAIN_FLOPS(Params,Tokens,8)", "FLOP", "with full activation recomputation, 8 x P x T"),
    ("=TRAIN_GPU_HOURS(TRAIN_FLOPS(Params,Tokens),GPU)", "GPU-hours", "at the GPU generation's typical MFU"),
    ("=TRAIN_GPU_HOURS(TRAIN_FLOPS(Params,Tokens),GPU,MFU,\"bf16\")", "GPU-hours", "at a given MFU"),
    ("=TRAIN_DAYS(TRAIN_FLOPS(Params,Tokens),GPUs,GPU,MFU)", "days", "wall-clock training time"),
    ("=GPUS_FOR_DEADLINE(TRAIN_FLOPS(Params,Tokens),Days,GPU,MFU)", "GPUs", "GPUs to finish within the deadline"),
    ("=TRAIN_COST(TRAIN_FLOPS(Params,Tokens),GPU,Price,,,MFU)", "USD", "GPU rental cost at the negotiated price"),
    ("=TRAIN_COST(TRAIN_FLOPS(Params,Tokens),GPU)", "USD", "at the catalog's median on-demand price"),
    ("=TRAIN_COST(TRAIN_FLOPS(Params,Tokens),GPU,,\"aws\",\"capacity_block\")", "USD",
     "at one provider's catalog price for a pricing model"),
    ("=TRAIN_MEMORY_GB(Model,64,3)", "GB", "model states per GPU, ZeRO-3 over 64 GPUs"),
    ("=TRAIN_MEMORY_GB(Params,64,1,18)", "GB", "ZeRO-1, Megatron's 18 bytes per parameter"),
    ("=ACTIVATION_GB(Model,4096,1,\"selective\",8,TRUE)", "GB", "activations per GPU, TP 8 + sequence parallel"),
    ("=COMM_VOLUME_GB(Model,\"tensor\",Tokens,8)", "GB", "tensor-parallel all-reduce volume"),
    ("=COMM_VOLUME_GB(Model,\"data\",Tokens,,1024,8192)", "GB", "data-parallel gradient volume"),
    ("=INFER_FLOPS(Model)", "FLOP", "inference FLOP per token, 2 x active parameters"),
    ("=INFER_FLOPS(MoEModel,1000)", "FLOP", "a 1,000-token request on a mixture of experts"),
    ("=WEIGHTS_GB(Model)", "GB", "weights in bf16"),
    ("=WEIGHTS_GB(Model,\"int4\",\"GiB\")", "GiB", "weights in int4"),
    ("=KV_CACHE_GB(Model,Context)", "GB", "KV cache of one sequence"),
    ("=KV_CACHE_GB(Model,Context,Batch,\"fp8\")", "GB", "KV cache of the batch in fp8"),
    ("=INFER_MEMORY_GB(Model,Context,Batch)", "GB", "weights + KV cache + activations"),
    ("=GPUS_NEEDED(Model,GPU)", "GPUs", "GPUs to hold the model (memory-bound)"),
    ("=GPUS_NEEDED(Model,GPU,\"fp8\",Context,Batch,Rate)", "GPUs", "memory or compute at the request rate"),
    ("=TTFT_MS(SmallModel,GPU)", "ms", "time to first token, 1,024-token prompt"),
    ("=TPOT_MS(Model,GPU,4,\"fp8\",Context,Batch)", "ms", "time per output token on 4 GPUs"),
    ("=TOKENS_PER_S(SmallModel,GPU)", "tokens/s", "throughput at the largest batch that fits"),
    ("=COST_PER_MTOK(SmallModel,GPU,,,,1,\"fp8\")", "USD", "per million output tokens, catalog price"),
    ("=COST_PER_MTOK(Model,GPU,Price,,,4,\"bf16\",1024,256,64)", "USD", "at the negotiated price, batch 64"),
    ("=COST_PER_REQUEST(SmallModel,GPU)", "USD", "GPU cost of one 1,280-token request"),
    ("=COST_PER_REQUEST(SmallModel,GPU,Price,,,2000)", "USD", "at the negotiated price, 2,000 tokens"),
    ("=MODEL_PARAMS(Model)", "parameters", "total parameters from the architecture"),
    ("=MODEL_PARAMS(MoEModel,\"active\")", "parameters", "active parameters per token"),
    ("=MODEL_INFO(Model,\"num_layers\")", "layers", "one catalog fact"),
    ("=GPU_SPEC(GPU,\"memory_gb\")", "GB", "GPU memory"),
    ("=GPU_SPEC(GPU,\"peak_flops\",\"fp8\")", "FLOP/s", "dense fp8 peak"),
    ("=GPU_PRICE(GPU)", "USD/GPU-hour", "median on-demand price"),
    ("=GPU_PRICE(GPU,\"aws\",\"capacity_block\")", "USD/GPU-hour", "one provider's capacity-block price"),
    ("=ENERGY_KWH(GPU,GPUs,24*Days)", "kWh", "facility energy at board power, average PUE"),
    ("=CO2E_KG(ENERGY_KWH(GPU,GPUs,24*Days,0.8,1.2),Grid)", "kg CO2e", "emissions on the site's grid"),
    ("=PRESENT_VALUE(Rent,Months,Rate_pa)", "USD", "present value of renting for the term"),
    ("=BOOK_VALUE(ServerPrice,0.1*ServerPrice,5,Months)", "USD", "servers' book value at the end of the term"),
    ("=OWNERSHIP_COST(ServerPrice,RunCost,Months,BOOK_VALUE(ServerPrice,0.1*ServerPrice,5,Months),Rate_pa)",
     "USD", "present cost of buying, running and reselling"),
    ("=BREAK_EVEN_MONTH(ServerPrice,RunCost,Rent)", "months", "when buying has cost less than renting"),
    ("=API_COST(2E9,5E8,ApiIn,ApiOut)", "USD/month", "what an API charges for the volume"),
    ("=API_BREAK_EVEN_TOKENS(RunCost,ApiIn,ApiOut,0.8)", "tokens/month", "volume where self-hosting pays"),
    ("=SERVER_PRICE(Server)", "USD", "purchase price of one server, from the server catalog"),
    ("=SERVER_PRICE(Server,\"system_power_w\")", "W", "the server's published maximum power"),
    ("=GPU_PRICE(GPU,\"gcp\",\"committed_use_3y\")", "USD/GPU-hour", "a 3-year committed-use price"),
    ("=API_PRICE(\"llama-3.1-70b\")", "USD/Mtok", "median output price over the model's API providers"),
    ("=API_PRICE(\"llama-3.1-70b\",\"deepinfra\",\"input\")", "USD/Mtok", "one provider's input price"),
    ("=GRID_INTENSITY(Region)", "kg CO2e/kWh", "carbon intensity of the region's grid"),
    ("=CO2E_KG(ENERGY_KWH(GPU,GPUs,24*Days),GRID_INTENSITY(Region))", "kg CO2e", "emissions on that grid"),
    ("=PEAK_REQUESTS_PER_S(1000000,20,3)", "requests/s", "1M daily users, 20 requests each, peak 3x the average"),
    ("=REQUESTS_FROM_TOKENS(5E9,1800,2)", "requests/s", "5 billion tokens a month at 1,800 per request"),
    ("=REQUESTS_FROM_USERS(500,30,10)", "requests/s", "500 users at once, 30 s thinking, 10 s answers"),
    ("=REPLICAS_FOR_LOAD(PEAK_REQUESTS_PER_S(1000000,20,3),100,0.2,1)", "replicas",
     "at most 80% busy, plus one spare (N+1)"),
    ("=WHOLE_NODES(GPUs+2)", "GPUs", "rounded up to whole 8-GPU nodes"),
    ("=COST_PER_USER(API_COST(2E9,5E8,ApiIn,ApiOut),10000)", "USD/(user·month)", "the API bill per user"),
    ("=COST_PER_MILLION_TOKENS(RunCost,2.5E9)", "USD/Mtok", "self-hosting cost per million tokens"),
    ("=TYPICAL_MFU(GPU,\"bf16\",Model,GPUs,\"low\")", "fraction of peak", "low end of published runs like this"),
    ("=TYPICAL_MFU(GPU,\"bf16\",Model,GPUs,\"high\")", "fraction of peak", "high end of published runs like this"),
    ("=SPEED_BAND(GPU,,\"low\")", "x estimate", "slow end of measured serving speed (80% band)"),
    ("=PROGRAM_GPU_HOURS(TRAIN_GPU_HOURS(TRAIN_FLOPS(Params,Tokens),GPU,MFU),0.5,0.05,0.9)", "GPU-hours",
     "the program: half a run of experiments, 5% evaluation, 90% goodput"),
    ("=CHECKPOINT_TB(Model,3)", "TB", "three checkpoints with Adam states"),
    ("=SPOT_HOURS(1000,2)", "h", "1,000 h of work on spot capacity interrupted twice a day"),
    ("=RESTART_GPU_HOURS(1000,0.9)", "GPU-hours", "GPU-hours failures and restarts add to 1,000 at 90% goodput"),
    ('=STORAGE_TB_PRICE("gcp")', "per TB-month", "object storage list price (catalog, dated)"),
)

#: Arrays sheet: scenario inputs (model size, tokens) for the column example.
SCENARIOS: tuple[tuple[float, float], ...] = ((8e9, 15e12), (70e9, 15e12), (405e9, 15.6e12), (7e9, 2e12),
                                              (1.1e9, 3e12))
GRID_CONTEXTS = (1024, 8192, 32768, 131072)
GRID_BATCHES = (1, 8, 32)
MODEL_IDS = ("llama-3.1-8b", "llama-3.1-70b", "mixtral-8x7b", "qwen2.5-32b", "deepseek-v3")
PLAN_TOP = 5

HEADER = Font(bold=True)
INPUT_FILL = PatternFill("solid", fgColor="FFF2CC")


def _headers(ws, row: int, titles: tuple[str, ...], column: int = 1) -> None:
    for offset, title in enumerate(titles):
        ws.cell(row, column + offset, title).font = HEADER


def _array(ws, top_left: str, rows: int, columns: int, formula: str) -> None:
    """A spilling formula at ``top_left`` whose result fills ``rows`` x ``columns`` cells."""
    first = ws[top_left]
    last = f"{get_column_letter(first.column + columns - 1)}{first.row + rows - 1}"
    ws[top_left] = ArrayFormula(f"{top_left}:{last}", formula)


def _inputs() -> dict[str, Any]:
    return {name: value for name, value, _, _ in INPUTS}


def _table_shape(function: str, *args: Any) -> tuple[int, int]:
    """Rows and columns of a table function's result for the demo's inputs (its exact spill)."""
    table = REGISTRY[function](*args)
    if is_error(table):
        raise ValueError(f"{function}{args} fails: {table}")
    return len(table), len(table[0])


def build_workbook() -> Workbook:
    wb = Workbook()
    inputs = wb.active
    inputs.title = "Inputs"
    _headers(inputs, 1, ("Name", "Value", "Unit", "Note"))
    for row, (name, value, unit, note) in enumerate(INPUTS, start=2):
        inputs.cell(row, 1, name)
        cell = inputs.cell(row, 2, value)
        cell.fill = INPUT_FILL
        inputs.cell(row, 3, unit)
        inputs.cell(row, 4, note)
        wb.defined_names[name] = DefinedName(name, attr_text=f"Inputs!$B${row}")

    functions = wb.create_sheet("Functions")
    _headers(functions, 1, ("Function", "Formula as typed", "Result", "Unit", "What it answers"))
    for row, (formula, unit, note) in enumerate(CALLS, start=2):
        functions.cell(row, 1, formula[1:formula.index("(")])
        functions.cell(row, 2, formula[1:])  # text without "=": shows the formula, is not one
        functions.cell(row, 3, formula)
        functions.cell(row, 4, unit)
        functions.cell(row, 5, note)

    arrays = wb.create_sheet("Arrays")
    arrays["A1"] = "A column of scenarios: one call per column, results spill"
    arrays["A1"].font = HEADER
    _headers(arrays, 2, ("Params", "Tokens", "TRAIN_FLOPS", "TRAIN_GPU_HOURS", "TRAIN_COST", "WEIGHTS_GB"))
    first, last = 3, 2 + len(SCENARIOS)
    for row, (params, tokens) in enumerate(SCENARIOS, start=first):
        arrays.cell(row, 1, params).fill = INPUT_FILL
        arrays.cell(row, 2, tokens).fill = INPUT_FILL
    n = len(SCENARIOS)
    _array(arrays, f"C{first}", n, 1, f"=TRAIN_FLOPS(A{first}:A{last},B{first}:B{last})")
    _array(arrays, f"D{first}", n, 1, f"=TRAIN_GPU_HOURS(C{first}:C{last},GPU,MFU)")
    _array(arrays, f"E{first}", n, 1, f"=TRAIN_COST(C{first}:C{last},GPU,Price,,,MFU)")
    _array(arrays, f"F{first}", n, 1, f"=WEIGHTS_GB(A{first}:A{last})")

    top = last + 2
    arrays.cell(top, 1, "A grid: contexts down, batch sizes across -> KV cache in GB").font = HEADER
    arrays.cell(top + 1, 1, "context \\ batch").font = HEADER
    for col, batch in enumerate(GRID_BATCHES, start=2):
        arrays.cell(top + 1, col, batch).fill = INPUT_FILL
    for row, context in enumerate(GRID_CONTEXTS, start=top + 2):
        arrays.cell(row, 1, context).fill = INPUT_FILL
    rows_ref = f"A{top + 2}:A{top + 1 + len(GRID_CONTEXTS)}"
    cols_ref = f"{get_column_letter(2)}{top + 1}:{get_column_letter(1 + len(GRID_BATCHES))}{top + 1}"
    arrays.cell(top, 6, "Result").font = HEADER
    _array(arrays, f"F{top + 2}", len(GRID_CONTEXTS), len(GRID_BATCHES), f"=KV_CACHE_GB(Model,{rows_ref},{cols_ref})")

    top = top + 3 + len(GRID_CONTEXTS)
    arrays.cell(top, 1, "A column of model ids (mapped one by one)").font = HEADER
    _headers(arrays, top + 1, ("Model", "MODEL_PARAMS", "active", "GPUS_NEEDED", "TPOT_MS 8 x H200"))
    first, last = top + 2, top + 1 + len(MODEL_IDS)
    for row, model in enumerate(MODEL_IDS, start=first):
        arrays.cell(row, 1, model).fill = INPUT_FILL
    ids = f"A{first}:A{last}"
    _array(arrays, f"B{first}", len(MODEL_IDS), 1, f"=MODEL_PARAMS({ids})")
    _array(arrays, f"C{first}", len(MODEL_IDS), 1, f"=MODEL_PARAMS({ids},\"active\")")
    _array(arrays, f"D{first}", len(MODEL_IDS), 1, f"=GPUS_NEEDED({ids},GPU,\"fp8\",Context)")
    _array(arrays, f"E{first}", len(MODEL_IDS), 1, f"=TPOT_MS({ids},\"h200\",8,\"fp8\")")  # DeepSeek-V3 fits 8 x H200

    tables = wb.create_sheet("Tables")
    tables["A1"] = "PLAN: cheapest set-ups serving Rate requests/s of SmallModel"
    tables["A1"].font = HEADER
    given = _inputs()
    plan_args = ("h100-sxm,a100-80gb,l40s", "bf16,fp8", PLAN_TOP)
    rows, columns = _table_shape("PLAN", given["SmallModel"], given["Rate"], 1024, 256, 500, 50, *plan_args)
    _array(tables, "A2", rows, columns,
           f"=PLAN(SmallModel,Rate,1024,256,500,50,\"{plan_args[0]}\",\"{plan_args[1]}\",{PLAN_TOP})")
    top = rows + 3
    tables.cell(top, 1, "MODEL_INFO(Model)").font = HEADER
    tables.cell(top, 4, "GPU_SPEC(GPU)").font = HEADER
    _array(tables, f"A{top + 1}", *_table_shape("MODEL_INFO", given["Model"]), "=MODEL_INFO(Model)")
    _array(tables, f"D{top + 1}", *_table_shape("GPU_SPEC", given["GPU"]), "=GPU_SPEC(GPU)")

    for ws, widths in ((inputs, (14, 24, 14, 60)), (functions, (20, 62, 16, 14, 48)),
                       (arrays, (18, 16, 16, 16, 16, 16, 16, 16)), (tables, (22, 22, 12, 22, 22))):
        for index, width in enumerate(widths, start=1):
            ws.column_dimensions[get_column_letter(index)].width = width
    return wb


#: Cell metadata that makes an array formula a dynamic array (ECMA-376 ``sheetMetadata`` with
#: Excel's XLDAPR future metadata), as Excel and XlsxWriter write it; ``cm="1"`` on a cell points at it.
DYNAMIC_ARRAY_METADATA = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<metadata xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:xda="http://schemas.microsoft.com/office/spreadsheetml/2017/dynamicarray">'
    '<metadataTypes count="1"><metadataType name="XLDAPR" minSupportedVersion="120000" copy="1" pasteAll="1" '
    'pasteValues="1" merge="1" splitFirst="1" rowColShift="1" clearFormats="1" clearComments="1" assign="1" '
    'coerce="1" cellMeta="1"/></metadataTypes>'
    '<futureMetadata name="XLDAPR" count="1"><bk><extLst><ext uri="{bdbb8cdc-fa1e-496e-a857-3c3f30c029c3}">'
    '<xda:dynamicArrayProperties fDynamic="1" fCollapsed="0"/></ext></extLst></bk></futureMetadata>'
    '<cellMetadata count="1"><bk><rc t="1" v="0"/></bk></cellMetadata></metadata>')
_METADATA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheetMetadata+xml"
_METADATA_RELATION = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/sheetMetadata"
# A cell holding an array formula, as openpyxl writes it: <c r="C3"><f t="array" ref="C3:C7">
_ARRAY_CELL = re.compile(rb'<c (r="[A-Z]+[0-9]+"[^>]*)>(<f t="array")')


def mark_dynamic_arrays(path: str | Path) -> int:
    """Mark every array formula of the .xlsx at ``path`` as a dynamic array; returns how many."""
    path = Path(path)
    with zipfile.ZipFile(path) as package:
        parts = [(info, package.read(info)) for info in package.infolist()]
    marked = 0
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as package:
        for info, data in parts:
            if info.filename.startswith("xl/worksheets/sheet"):
                data, count = _ARRAY_CELL.subn(rb'<c \1 cm="1">\2', data)
                marked += count
            elif info.filename == "[Content_Types].xml":
                data = data.replace(b"</Types>", f'<Override PartName="/xl/metadata.xml" '
                                                 f'ContentType="{_METADATA_TYPE}"/></Types>'.encode())
            elif info.filename == "xl/_rels/workbook.xml.rels":
                data = data.replace(b"</Relationships>", f'<Relationship Type="{_METADATA_RELATION}" '
                                                         f'Target="metadata.xml" Id="rIdDynamicArrays"/>'
                                                         f'</Relationships>'.encode())
            package.writestr(info, data)
        package.writestr(zipfile.ZipInfo("xl/metadata.xml", parts[0][0].date_time), DYNAMIC_ARRAY_METADATA)
    return marked


def write(path: str | Path) -> Path:
    """Write the workbook to ``path`` atomically, its spilling formulas as dynamic arrays; returns the path."""
    path = Path(path)
    wb = build_workbook()
    wb.properties.created = FIXED_TIMESTAMP
    setup_workbook(wb, {"Functions": "1:1"})
    with atomic_write(path) as tmp:
        wb.save(tmp)
        mark_dynamic_arrays(tmp)
        store_cached_values(tmp)
        pin_dates(tmp, FIXED_TIMESTAMP)
    return path


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args[:1] in (["-h"], ["--help"]):
        print(f"usage: python -m xlcompute.workbook.functions_demo [OUTPUT.xlsx]  (default: workbooks/{FILENAME})")
        return 0
    target = Path(args[0]) if args else Path(__file__).resolve().parents[2] / "workbooks" / FILENAME
    print(write(target))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
