# shellcheck shell=bash
# Helpers shared by setup/run and setup/test. They work on an EXISTING Odoo 19
# (the `odoo` command on PATH, or $ODOO_BIN) and PostgreSQL; they never install
# or build Odoo itself.

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ADDONS="member_crm,member_crm_marketing,member_crm_reports,member_crm_survey"
# bridges that install themselves beside other apps (member_crm_website_sale with website_sale: on the shop database)
TEST_TAGS="/member_crm,/member_crm_marketing,/member_crm_reports,/member_crm_survey,/member_crm_website_sale"
# what a real shop has beside us: the "demo" test database installs these first
SHOP_ADDONS="website_sale,mass_mailing,survey,crm,hr"
# Odoo's own suites that our overrides touch (setup/test --core-suites)
CORE_TEST_TAGS="/loyalty,/sale_loyalty,/pos_loyalty"

say() { printf '%s\n' "$*"; }
die() { printf 'error: %s\n' "$*" >&2; exit 2; }

# find_odoo: sets ODOO_BIN (absolute) and ODOO_VERSION, or returns 1 with
# ODOO_MISSING set to a one-line reason.
find_odoo() {
    ODOO_MISSING=""
    local bin="${ODOO_BIN:-}"
    if [ -z "$bin" ]; then
        bin=$(command -v odoo 2>/dev/null || true)
    fi
    if [ -z "$bin" ]; then
        ODOO_MISSING="no 'odoo' command on PATH and ODOO_BIN is not set (Odoo 19.0 is needed for the Odoo suite)"
        return 1
    fi
    if [ ! -x "$bin" ] && ! command -v "$bin" >/dev/null 2>&1; then
        ODOO_MISSING="ODOO_BIN=$bin is not an executable file"
        return 1
    fi
    ODOO_BIN=$(command -v "$bin")
    local out
    if ! out=$(timeout 60 "$ODOO_BIN" --version 2>&1); then
        ODOO_MISSING="'$ODOO_BIN --version' failed: $(printf '%s' "$out" | tail -n 1)"
        return 1
    fi
    ODOO_VERSION=$(printf '%s\n' "$out" | sed -n 's/^Odoo Server \([0-9][^ ]*\).*/\1/p' | head -n 1)
    case "$ODOO_VERSION" in
        19.*|saas~19.*) ;;
        *)
            ODOO_MISSING="'$ODOO_BIN --version' says '${out%%$'\n'*}', but these addons need Odoo 19.0"
            return 1 ;;
    esac
    return 0
}

# find_odoo_python: sets ODOO_PYTHON, the interpreter that runs $ODOO_BIN
# ($ODOO_PYTHON wins if set), checked by importing odoo with it. Follows what
# $ODOO_BIN runs: a Python script's shebang (`#!/venv/bin/python3`,
# `#!/usr/bin/env python3`), or a shell wrapper's `exec /path/python .../odoo-bin "$@"`
# (or `exec /venv/bin/odoo "$@"`, followed in turn), at most four files deep.
find_odoo_python() {
    local py="${ODOO_PYTHON:-}" file depth line word words shebang tried=""
    if [ -z "$py" ]; then
        file=$(readlink -f "$ODOO_BIN")
        for depth in 1 2 3 4; do
            [ -f "$file" ] || break
            tried="$tried $file"
            shebang=$(head -n 1 "$file" 2>/dev/null | tr -d '\r')
            case "$shebang" in
                '#!'*python*)
                    words=${shebang#\#!}
                    read -r -a words <<<"$words"
                    if [ "${words[0]##*/}" = env ]; then
                        for word in "${words[@]:1}"; do
                            case "$word" in -*|*=*) ;; *) py=$(command -v "$word" || true); break ;; esac
                        done
                    else
                        py=${words[0]}
                    fi
                    break ;;
                '#!'*sh*) ;;
                *) break ;;
            esac
            # a shell wrapper: the last `exec` line names the program it becomes
            line=$(grep -E '^[[:space:]]*exec[[:space:]]' "$file" | tail -n 1 | tr -d '\r')
            [ -n "$line" ] || break
            read -r -a words <<<"$line"
            file=""
            for word in "${words[@]:1}"; do
                word=${word//\"/}
                word=${word//\'/}
                case "$word" in
                    -*|*=*|env|*/env) continue ;;  # exec options, VAR=value, env
                    *'$'*) break ;;  # a variable: cannot tell
                esac
                case "${word##*/}" in
                    python*) py=$(command -v "$word" || true) ;;
                    *) file=$(readlink -f "$(command -v "$word" || printf '%s' "$word")") ;;
                esac
                break
            done
            [ -z "$py" ] && [ -n "$file" ] || break
        done
        if [ -z "$py" ]; then
            # a console script of a virtualenv whose shebang we could not read
            local real
            real=$(readlink -f "$ODOO_BIN")
            for candidate in "$(dirname "$real")/python3" "$(dirname "$real")/python"; do
                if [ -x "$candidate" ]; then py=$candidate; break; fi
            done
        fi
    fi
    if [ -z "$py" ] || ! "$py" -c 'import odoo.release' >/dev/null 2>&1; then
        die "cannot tell which Python runs $ODOO_BIN (read:${tried:- nothing}); set ODOO_PYTHON to it (the interpreter that can 'import odoo')"
    fi
    ODOO_PYTHON=$py
}

check_postgres() {
    if ! command -v psql >/dev/null 2>&1; then
        die "PostgreSQL client 'psql' not found: install PostgreSQL >= 13 (client and server)"
    fi
    if ! psql -X -d postgres -Atc 'select 1' >/dev/null 2>&1; then
        die "PostgreSQL does not answer as '$(id -un)' (psql -d postgres): start it, or set PGHOST/PGUSER/PGPASSWORD for Odoo's database user"
    fi
    local server
    server=$(psql -X -d postgres -Atc 'show server_version_num')
    if [ "${server:-0}" -lt 130000 ]; then
        die "PostgreSQL $server is too old: Odoo 19 needs PostgreSQL >= 13"
    fi
}

db_exists() {
    [ "$(psql -X -d postgres -Atc "select 1 from pg_database where datname = '$1'")" = 1 ]
}

# Addons path: ours, after any the user gives; Odoo 19 adds its own.
addons_path() {
    if [ -n "${ODOO_ADDONS_PATH:-}" ]; then
        printf '%s,%s' "$ODOO_ADDONS_PATH" "$REPO_ROOT"
    else
        printf '%s' "$REPO_ROOT"
    fi
}

install_requirements() {
    say "Installing requirements.txt into the Python that runs Odoo: $ODOO_PYTHON"
    "$ODOO_PYTHON" -m pip install --quiet --disable-pip-version-check -r "$REPO_ROOT/requirements.txt" \
        || die "pip could not install requirements.txt into $ODOO_PYTHON"
}

# check_report_tools: the system tools the member PDF reports and their tests need. Prints one
# line per missing tool with the Debian/Ubuntu package that brings it and returns 1; else says
# which wkhtmltopdf prints the reports (Debian's has no patched Qt: no page header or footer).
check_report_tools() {
    local missing=() fonts version
    command -v wkhtmltopdf >/dev/null 2>&1 \
        || missing+=("wkhtmltopdf (package wkhtmltopdf): prints every PDF report")
    fonts=$(fc-list : family 2>/dev/null || true)
    case "$fonts" in
        *"Noto Sans CJK SC"*) ;;
        *) missing+=("the font 'Noto Sans CJK SC' (package fonts-noto-cjk): Chinese text in the PDF reports") ;;
    esac
    command -v pdftotext >/dev/null 2>&1 \
        || missing+=("pdftotext (package poppler-utils): the PDF report tests read the text back")
    command -v pdffonts >/dev/null 2>&1 \
        || missing+=("pdffonts (package poppler-utils): the PDF report tests check the embedded fonts")
    if [ "${#missing[@]}" -gt 0 ]; then
        say "Missing for the PDF reports (apt-get install wkhtmltopdf fonts-noto-cjk poppler-utils):"
        printf '  - %s\n' "${missing[@]}"
        return 1
    fi
    version=$(wkhtmltopdf --version 2>/dev/null | head -n 1)
    case "$version" in
        *"patched qt"*) say "PDF reports: $version" ;;
        *) say "PDF reports: $version, without the patched Qt: no page header or footer; the member reports print one record per call" ;;
    esac
    return 0
}
