"""The analytics command's six seed metrics (member_crm_reports/engine/metrics.py and cli.py), no Odoo.

Checked against literals, and against the seed's own pandas lines run here on the same files.
"""

import json
import os
import pathlib
import runpy
import subprocess
import sys

import numpy as np
import pytest

from member_crm_reports.engine import metrics

ROOT = pathlib.Path(__file__).resolve().parents[1]
CLI = ROOT / "member_crm_reports" / "engine" / "cli.py"

# The second seed's code (section 4), verbatim; its duplicate inquiry snippet (4.3.2) left out.
# Each snippet leaves its figure in the variable named beside it.
SEED_SNIPPETS = {
    "need_satisfaction": (
        "satisfaction_score",
        """
import pandas as pd
# 读取客户需求数据
data = pd.read_csv('customer_need_data.csv')
# 计算满意度
data['satisfaction'] = data['need'].apply(lambda x: 1 if x == 'satisfied' else 0)
# 计算需求满意度
satisfaction_score = data['satisfaction'].mean()
print('需求满意度:', satisfaction_score)
""",
    ),
    "customer_value_attribute": (
        "customer_value",
        """
import pandas as pd
# 读取客户特点数据
data = pd.read_csv('customer_attribute_data.csv')
# 计算客户价值
data['value'] = data['order_amount'] * data['order_frequency']
# 计算客户价值
customer_value = data['value'].mean()
print('客户价值:', customer_value)
""",
    ),
    "inquiry_satisfaction": (
        "satisfaction_score",
        """
import pandas as pd
# 读取客户咨询数据
data = pd.read_csv('customer_inquiry_data.csv')
# 计算满意度
data['satisfaction'] = data['inquiry'].apply(lambda x: 1 if x == 'satisfied' else 0)
# 计算咨询满意度
satisfaction_score = data['satisfaction'].mean()
print('咨询满意度:', satisfaction_score)
""",
    ),
    "feedback_satisfaction": (
        "satisfaction_score",
        """
import pandas as pd
# 读取客户反馈数据
data = pd.read_csv('customer_feedback_data.csv')
# 计算满意度
data['satisfaction'] = data['feedback'].apply(lambda x: 1 if x == 'satisfied' else 0)
# 计算反馈满意度
satisfaction_score = data['satisfaction'].mean()
print('反馈满意度:', satisfaction_score)
""",
    ),
    "customer_value_behavior": (
        "customer_value",
        """
import pandas as pd
# 读取客户行为数据
data = pd.read_csv('customer_behavior_data.csv')
# 计算客户价值
data['value'] = data['order_amount'] * data['order_frequency']
# 计算客户价值
customer_value = data['value'].mean()
print('客户价值:', customer_value)
""",
    ),
    "marketing_effect": (
        "marketing_effect",
        """
import pandas as pd
# 读取客户营销数据
data = pd.read_csv('customer_marketing_data.csv')
# 计算营销效果
data['effect'] = data['sales'] - data['cost']
# 计算营销效果
marketing_effect = data['effect'].mean()
print('营销效果:', marketing_effect)
""",
    ),
}

# Small files with the seed's names and columns. Rows the seed's definitions make interesting: an
# empty answer (counts as 0), "Satisfied" (case-sensitive: 0), pandas' "NA" (0), a blank line (not a
# row: pandas skips it), an empty amount (the row is skipped by the mean).
SMALL = {
    "customer_need_data.csv": "customer,need\n1,satisfied\n2,unsatisfied\n3,\n4,Satisfied\n5,satisfied\n",
    "customer_attribute_data.csv": "customer,order_amount,order_frequency\n1,10,2\n2,20.5,\n3,30,3\n\n4,1.25,4\n",
    "customer_behavior_data.csv": "order_amount,order_frequency\n100,1\n200,2\n,5\n",
    "customer_inquiry_data.csv": "inquiry\nsatisfied\nsatisfied\nNA\n\nno\n",
    "customer_feedback_data.csv": 'feedback\n"satisfied"\nsatisfied \n""\nsatisfied\n',
    "customer_marketing_data.csv": "campaign,sales,cost\nA,100,40\nB,50,60\nC,10.5,0.25\n",
}
SMALL_EXPECTED = {
    "need_satisfaction": 2 / 5,
    "customer_value_attribute": (20 + 90 + 5) / 3,
    "customer_value_behavior": (100 + 400) / 2,
    "inquiry_satisfaction": 2 / 4,
    "feedback_satisfaction": 2 / 4,
    "marketing_effect": (60 - 10 + 10.25) / 3,
}


def _write(directory, files, encoding="utf-8"):
    directory.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        data = text if isinstance(text, bytes) else text.encode(encoding)
        (directory / name).write_bytes(data)
    return directory


def _seed(directory, monkeypatch):
    """{key: the seed's own figure} from its snippets run in ``directory``."""
    monkeypatch.chdir(directory)
    scripts = directory.parent / f"{directory.name}_seed"
    scripts.mkdir(exist_ok=True)
    figures = {}
    for key, (variable, code) in SEED_SNIPPETS.items():
        script = scripts / f"seed_{key}.py"
        script.write_text(code, encoding="utf-8")
        figures[key] = float(runpy.run_path(str(script))[variable])  # the seed's lines, as written
    return figures


def _run(*args, env=None):
    return subprocess.run(
        [sys.executable, str(CLI), *map(str, args)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=env,
        timeout=120,
        check=False,
    )


def _json(directory):
    done = _run("metrics", directory, "--json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_literals_and_the_seed_on_small_files(tmp_path, monkeypatch):
    directory = _write(tmp_path / "small", SMALL)
    figures = _json(directory)
    assert list(figures) == list(metrics.KEYS)
    assert figures == pytest.approx(SMALL_EXPECTED, rel=1e-12)
    assert figures == _seed(directory, monkeypatch)  # the seed's own numbers, exactly


def test_same_numbers_as_the_seed_on_random_files(tmp_path, monkeypatch):
    rng = np.random.default_rng(17)
    n = 5000
    answers = np.array(["satisfied", "unsatisfied", "neutral", "Satisfied", ""], dtype=object)
    amounts = np.round(rng.gamma(2.0, 40.0, n), 2).astype(object)
    amounts[rng.random(n) < 0.05] = ""
    frequency = rng.integers(1, 12, n).astype(object)
    frequency[rng.random(n) < 0.05] = ""
    files = {}
    for name, column in (("need", "need"), ("inquiry", "inquiry"), ("feedback", "feedback")):
        picks = answers[rng.integers(0, len(answers), n)]
        files[f"customer_{name}_data.csv"] = column + "\n" + "".join(f"{value}\n" for value in picks)
    for name in ("attribute", "behavior"):
        body = "".join(f"{i},{a},{f}\n" for i, (a, f) in enumerate(zip(amounts, frequency, strict=True)))
        files[f"customer_{name}_data.csv"] = "customer,order_amount,order_frequency\n" + body
        amounts = amounts[::-1]
    sales, cost = np.round(rng.normal(1000, 300, n), 2), np.round(rng.normal(700, 200, n), 2)
    files["customer_marketing_data.csv"] = "sales,cost\n" + "".join(
        f"{s},{c}\n" for s, c in zip(sales, cost, strict=True)
    )
    directory = _write(tmp_path / "random", files)
    ours = {key: result.value for key, result in metrics.compute_all(directory).items()}
    assert ours == _seed(directory, monkeypatch)
    assert ours["marketing_effect"] == pytest.approx(float(np.mean(sales - cost)), rel=1e-12)


def test_utf8_with_bom(tmp_path, monkeypatch):
    files = {name: "\ufeff" + text for name, text in SMALL.items()}
    directory = _write(tmp_path / "bom", files)
    assert (directory / "customer_need_data.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    assert _json(directory) == pytest.approx(SMALL_EXPECTED, rel=1e-12)


def test_gbk(tmp_path, monkeypatch):
    """Excel on a Chinese Windows saves GBK: the seed cannot read it, the command can."""
    files = {
        "customer_need_data.csv": "客户,need,备注\n张三,satisfied,满意\n李四,unsatisfied,不满意\n王五,,未答\n",
        "customer_attribute_data.csv": "客户,order_amount,order_frequency\n张三,10,2\n李四,20.5,\n王五,30,3\n",
        "customer_behavior_data.csv": "order_amount,order_frequency,门店\n100,1,上海\n200,2,北京\n",
        "customer_inquiry_data.csv": "inquiry,渠道\nsatisfied,微信\nno,电话\n",
        "customer_feedback_data.csv": "feedback\nsatisfied\n",
        "customer_marketing_data.csv": "活动,sales,cost\n双十一,100,40\n春节,50,60\n",
    }
    directory = _write(tmp_path / "gbk", files, encoding="gbk")
    with pytest.raises(UnicodeDecodeError):
        _seed(directory, monkeypatch)
    assert _json(directory) == pytest.approx(
        {
            "need_satisfaction": 1 / 3,
            "customer_value_attribute": 55.0,
            "customer_value_behavior": 250.0,
            "inquiry_satisfaction": 0.5,
            "feedback_satisfaction": 1.0,
            "marketing_effect": 25.0,
        },
        rel=1e-12,
    )


def test_text_in_an_amount_stops_with_file_column_and_line(tmp_path):
    files = dict(SMALL)
    # line 1 header, 2 data, 3 blank, 4-5 one quoted field over two lines, 6 good, 7 the first bad, 8 bad
    files["customer_behavior_data.csv"] = (
        'order_amount,order_frequency,note\n100,1,a\n\n200,2,"two\nlines"\n300,3,b\n12 元,4,c\nabc,5,d\n'
    )
    directory = _write(tmp_path / "text", files)
    done = _run("metrics", directory, "--json")
    assert done.returncode == 2, (done.returncode, done.stdout, done.stderr)
    assert done.stdout == ""
    message = done.stderr
    assert "customer_behavior_data.csv" in message
    assert "column 'order_amount'" in message
    assert "line 7" in message
    assert "'12 元'" in message
    with pytest.raises(metrics.InputError) as caught:
        metrics.compute_all(directory)
    assert (caught.value.column, caught.value.line) == ("order_amount", 7)


@pytest.mark.parametrize(
    ("body", "column", "line"),
    [
        ("sales,cost\n1,2\n3,inf\n", "cost", 3),  # the seed would report inf
        ("sales,cost\nTrue,2\nFalse,3\n", "sales", 2),  # booleans times numbers
        ("sales,cost\n1,2\n\n\n4,-\n", "cost", 5),
        ("sales,cost\n1,2\n3,x\ny,4\n", "cost", 3),  # the first bad row of either column
        ("sales,cost\n1,2\n3,4\ny,x\n", "sales", 4),
    ],
)
def test_other_nonsense_in_amounts(tmp_path, body, column, line):
    directory = _write(tmp_path / "bad", {"customer_marketing_data.csv": body})
    with pytest.raises(metrics.InputError) as caught:
        metrics.compute_all(directory)
    assert (caught.value.column, caught.value.line) == (column, line)
    assert caught.value.path.endswith("customer_marketing_data.csv")


def test_missing_file_is_null_with_a_warning(tmp_path):
    files = {name: text for name, text in SMALL.items() if name != "customer_feedback_data.csv"}
    directory = _write(tmp_path / "missing", files)
    done = _run("metrics", directory, "--json")
    assert done.returncode == 0, done.stderr
    figures = json.loads(done.stdout)
    assert figures["feedback_satisfaction"] is None
    assert figures["need_satisfaction"] == pytest.approx(0.4)
    assert "warning" in done.stderr and "customer_feedback_data.csv" in done.stderr


def test_header_only_is_null_not_nan(tmp_path):
    files = dict(SMALL, **{"customer_marketing_data.csv": "sales,cost\n", "customer_need_data.csv": "need\n"})
    directory = _write(tmp_path / "empty", files)
    done = _run("metrics", directory, "--json")
    assert done.returncode == 0, done.stderr
    assert "NaN" not in done.stdout
    figures = json.loads(done.stdout)
    assert figures["marketing_effect"] is None and figures["need_satisfaction"] is None
    assert figures["inquiry_satisfaction"] == pytest.approx(0.5)


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"revenue,cost\n1,2\n", "column 'sales'"),
        (b"", "empty"),
        (b"sales,cost\n1,2\n\xff\xfe\xff,3\n", "line 3"),  # neither UTF-8 nor GBK
        (b"\xff\xfes\x00a\x00", "UTF-16"),
        (b'sales,cost\n1,2\n3,4,5\n"', "not a valid CSV"),
    ],
)
def test_bad_files_exit_2(tmp_path, content, expected):
    directory = _write(tmp_path / "bad", {"customer_marketing_data.csv": content})
    done = _run("metrics", directory)
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert "customer_marketing_data.csv" in done.stderr
    assert expected in done.stderr


def test_not_a_directory_exit_2(tmp_path):
    done = _run("metrics", tmp_path / "nowhere")
    assert done.returncode == 2
    assert "not a directory" in done.stderr


def test_table_and_no_odoo_nor_matplotlib_loaded(tmp_path):
    """Run by its path, the command loads neither Odoo nor matplotlib (without --charts)."""
    directory = _write(tmp_path / "small", SMALL)
    done = _run("metrics", directory)
    assert done.returncode == 0, done.stderr
    assert "需求满意度" in done.stdout and "0.4000" in done.stdout and "20.08" in done.stdout
    probe = (
        "import runpy, sys\n"
        f"sys.argv = ['cli.py', 'metrics', {str(directory)!r}, '--json']\n"
        "try:\n"
        f"    runpy.run_path({str(CLI)!r}, run_name='__main__')\n"
        "except SystemExit as done:\n"
        "    assert done.code == 0, done.code\n"
        "loaded = sorted(name for name in sys.modules if name.split('.')[0] in ('odoo', 'matplotlib'))\n"
        "assert not loaded, loaded\n"
        "assert type(sys.modules['member_crm_reports']).__name__ == 'module'\n"
        "assert not hasattr(sys.modules['member_crm_reports'], '__file__')  # the bare package\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr


def test_xlsx_holds_the_same_figures(tmp_path):
    import openpyxl

    directory = _write(tmp_path / "small", SMALL)
    target = tmp_path / "out.xlsx"
    done = _run("metrics", directory, "--json", "--xlsx", target)
    assert done.returncode == 0, done.stderr
    figures = json.loads(done.stdout)
    sheet = openpyxl.load_workbook(target).worksheets[0]
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    assert [row[1] for row in rows] == list(metrics.KEYS)
    assert {row[1]: row[2] for row in rows} == pytest.approx(figures, rel=1e-12)
    assert sheet.cell(row=2, column=3).number_format == "0.00%"
    assert sheet.cell(row=3, column=3).number_format == "#,##0.00"


def test_charts_are_png(tmp_path):
    import matplotlib  # noqa: F401  the chart test needs it (requirements-test.txt)

    directory = _write(tmp_path / "small", SMALL)
    charts = tmp_path / "charts"
    env = dict(os.environ, MPLBACKEND="TkAgg")  # the command uses Agg whatever the environment says
    done = _run("metrics", directory, "--charts", charts, env=env)
    assert done.returncode == 0, done.stderr
    for name in ("satisfaction.png", "value.png"):
        data = (charts / name).read_bytes()
        assert data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) > 5000, name


def test_unwritable_outputs_exit_2_and_print_nothing(tmp_path):
    directory = _write(tmp_path / "small", SMALL)
    done = _run("metrics", directory, "--json", "--xlsx", tmp_path / "no" / "such" / "folder" / "out.xlsx")
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert done.stdout == "" and "out.xlsx" in done.stderr
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    done = _run("metrics", directory, "--charts", blocker / "charts")
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert done.stdout == ""


def test_charts_without_matplotlib_exit_1(tmp_path):
    directory = _write(tmp_path / "small", SMALL)
    probe = (
        "import runpy, sys\n"
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] == 'matplotlib':\n"
        "            raise ImportError('No module named matplotlib')\n"
        "sys.meta_path.insert(0, Block())\n"
        f"sys.argv = ['cli.py', 'metrics', {str(directory)!r}, '--charts', {str(tmp_path / 'charts')!r}]\n"
        f"runpy.run_path({str(CLI)!r}, run_name='__main__')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 1, (done.stdout, done.stderr)
    assert "needs matplotlib" in done.stderr and done.stdout == ""
