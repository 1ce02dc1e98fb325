# bash completion for proctraf                             -*- shell-script -*-

_proctraf()
{
    local cur prev words cword
    _init_completion || return

    case $prev in
        -i | --interface)
            COMPREPLY=($(compgen -W "any $(command ls /sys/class/net 2>/dev/null)" -- "$cur"))
            return
            ;;
        -r | --read)
            _filedir
            return
            ;;
        --proc-root)
            _filedir -d
            return
            ;;
        -d | --duration | -c | --count | --max-flows | --resolve-interval)
            return
            ;;
    esac

    if [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W '-i --interface -d --duration -c --count -r --read
            --csv --tsv --no-header --max-flows --proc-root --resolve-interval
            -h --help -V --version' -- "$cur"))
    fi
} &&
    complete -F _proctraf proctraf

# ex: filetype=sh
