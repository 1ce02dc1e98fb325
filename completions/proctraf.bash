# bash completion for proctraf(1)                          -*- shell-script -*-
#
# Installed as share/bash-completion/completions/proctraf.

_proctraf()
{
    local cur prev words cword split
    _init_completion -s || return

    case $prev in
        -i | --interface)
            local -a ifaces=(/sys/class/net/*)
            [[ -e ${ifaces[0]} ]] || ifaces=()
            COMPREPLY=($(compgen -W 'any ${ifaces[*]##*/}' -- "$cur"))
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
        -c | --count | -d | --duration | --max-flows | --resolve-interval)
            # a number: nothing to offer
            return
            ;;
    esac

    $split && return

    COMPREPLY=($(compgen -W '-c --count --csv -d --duration -h --help
        -i --interface --max-flows --no-header --no-realtime --proc-root -r --read
        --resolve-interval --tsv -V --version' -- "$cur"))
} &&
    complete -F _proctraf proctraf

# ex: filetype=sh
