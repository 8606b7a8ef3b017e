# bash completion for fzindex and fzsearch (fangzhi).
#
# Installed as share/bash-completion/completions/fzindex and .../fzsearch
# (bash-completion loads it by command name), or source it from ~/.bashrc.
# Needs nothing from bash-completion itself.
#
# The options are read from the program's own --help the first time, so
# they follow the installed version; the values of options that take one
# of a few words are listed here.

# _fangzhi_options PROG: sets fz_opts to the long options PROG --help
# lists (remembered for the session, per program).
_fangzhi_options()
{
    local var="_fangzhi_opts_${1##*/}"
    var=${var//[^A-Za-z0-9_]/_}
    if [[ -z ${!var} ]]; then
        local list
        list=$("$1" --help 2>/dev/null | grep -o -- '--[a-z][a-z-]*' | sort -u | tr '\n' ' ')
        [[ -n $list ]] || return
        printf -v "$var" '%s' "$list"
    fi
    fz_opts=${!var}
}

# _fangzhi_paths WHAT: files and directories (WHAT=f) or directories (d).
_fangzhi_paths()
{
    local IFS=$'\n'
    compopt -o filenames 2>/dev/null
    COMPREPLY=($(compgen -"$1" -- "$cur"))
}

_fangzhi_words()
{
    COMPREPLY=($(compgen -W "$1" -- "$cur"))
}

# Sets cur and prev, reading --opt=value as option prev and value cur.
_fangzhi_words_at_point()
{
    cur=${COMP_WORDS[COMP_CWORD]}
    prev=
    ((COMP_CWORD > 0)) && prev=${COMP_WORDS[COMP_CWORD - 1]}
    if [[ $cur == = ]]; then
        cur=
    elif [[ $prev == = ]] && ((COMP_CWORD > 1)); then
        prev=${COMP_WORDS[COMP_CWORD - 2]}
    elif [[ $cur == --*=* ]]; then
        prev=${cur%%=*}
        cur=${cur#*=}
    fi
}

_fzindex()
{
    local cur prev
    COMPREPLY=()
    _fangzhi_words_at_point
    case $prev in
    -d | --db) _fangzhi_paths d; return ;;
    --pack | --catalog | --export) _fangzhi_paths f; return ;;
    -e | --encoding) _fangzhi_words "UTF-8 UTF-8-BOM UTF-16LE UTF-16BE GB18030 GBK BIG5 BIG5-HKSCS"; return ;;
    -m | --mem) _fangzhi_words "256M 512M 1G 2G 4G 8G"; return ;;
    esac
    if [[ $cur == -* ]]; then
        local fz_opts=
        _fangzhi_options "$1"
        _fangzhi_words "$fz_opts"
        return
    fi
    local w
    for w in "${COMP_WORDS[@]}"; do
        case $w in
        --list | --check) return ;;            # no file arguments
        --merge) _fangzhi_paths f; return ;;   # index directories or archives
        esac
    done
    _fangzhi_paths f
}

_fzsearch()
{
    local cur prev
    COMPREPLY=()
    _fangzhi_words_at_point
    case $prev in
    -d | --db | --batch) _fangzhi_paths f; return ;;
    -f | --format) _fangzhi_words "jsonl csv tsv"; return ;;
    --fold) _fangzhi_words "variants ts none"; return ;;
    --sort) _fangzhi_words "score source left right"; return ;;
    --color | --colour) _fangzhi_words "auto always never"; return ;;
    --by) _fangzhi_words "section author file kind form volume place year decade century"; return ;;
    -n | --limit | --offset | --width | --show | --context | --time-limit) return ;;
    --serve) _fangzhi_words "127.0.0.1:8080 8080 0"; return ;;
    esac
    if [[ $cur == -* ]]; then
        local fz_opts=
        _fangzhi_options "$1"
        _fangzhi_words "$fz_opts"
        return
    fi
    # a query: field prefixes help, the words themselves are the user's
    if [[ $cur == [a-z]* && $prev != : ]]; then
        _fangzhi_words "title: author: section: file: kind: volume: place: year:"
        compopt -o nospace 2>/dev/null
    fi
}

complete -F _fzindex fzindex
complete -F _fzsearch fzsearch
