# bash completion for proctraf(1)                          -*- shell-script -*-
#
# Installed as share/bash-completion/completions/proctraf.
#
# The rules the three shells share (bash here, zsh _proctraf, fish
# proctraf.fish; tests/completions/run.sh drives all three):
#  - an option is not offered twice, except -i, -p, -u and --command;
#  - --csv, --tsv and --json exclude each other; -i and -r too; -C and -g too;
#    --realtime and --no-realtime too;
#  - after -h or -V nothing more is offered;
#  - after "--" or the first filter-expression word, only filter words
#    follow: no options, and never files.

_proctraf()
{
    local cur prev words cword split
    _init_completion -s || return

    # A short option may end a cluster of flags that take no argument
    # (-qi lo); a word such as -rf1.pcap is -r with its argument, not -p.
    case $prev in
        --interface | -*([hqtCHV])i)
            local -a ifaces=(/sys/class/net/*)
            [[ -e ${ifaces[0]} ]] || ifaces=()
            COMPREPLY=($(compgen -W 'any ${ifaces[*]##*/}' -- "$cur"))
            return
            ;;
        --read | -*([hqtCHV])r | --write | -*([hqtCHV])w)
            _filedir
            return
            ;;
        --proc-root)
            _filedir -d
            return
            ;;
        --prom)
            # node_exporter's textfile collector reads only *.prom files
            _filedir prom
            return
            ;;
        --owners)
            COMPREPLY=($(compgen -W 'auto kernel proc' -- "$cur"))
            return
            ;;
        --group-by | -*([hqtCHV])g)
            # A comma-separated list: complete the key after the last comma,
            # keep what is before it, and leave out the keys already given.
            local prefix='' key
            local -a keys=()
            [[ $cur == *,* ]] && prefix=${cur%,*},
            for key in pid user command netns cgroup unit container; do
                [[ ,$prefix == *,$key,* ]] || keys+=("$key")
            done
            COMPREPLY=($(compgen -P "$prefix" -W '${keys[*]}' -- "${cur##*,}"))
            # the user may go on with another comma
            compopt -o nospace 2>/dev/null
            return
            ;;
        --sort | -*([hqtCHV])s)
            COMPREPLY=($(compgen -W 'total sent_bytes recv_bytes sent_packets
                recv_packets flows processes pid user command netns cgroup unit
                container proto local_addr local_port remote_addr remote_port via
                first last cmdline sent_rate recv_rate start end duration' -- "$cur"))
            return
            ;;
        --pid | -*([hqtCHV])p)
            _pids
            return
            ;;
        --user | -*([hqtCHV])u)
            COMPREPLY=($(compgen -u -- "$cur"))
            return
            ;;
        --command)
            # the short names (comm) the kernel keeps, which --command matches
            _pnames -s
            return
            ;;
        --count | --duration | --interval | --top | --max-flows | \
            --resolve-interval | -*([hqtCHV])[cdI])
            # a number or a duration: nothing to offer
            return
            ;;
    esac

    $split && return

    # The long name of each short option.
    local -A long=([-h]=--help [-V]=--version [-q]=--quiet [-t]=--timestamps
        [-c]=--count [-d]=--duration [-i]=--interface [-r]=--read
        [-w]=--write [-I]=--interval [-H]=--human [-g]=--group-by [-C]=--connections
        [-p]=--pid [-u]=--user [-s]=--sort)
    local takes_arg='@(--count|--duration|--interface|--read|--write|--interval|--group-by|--pid|--user|--command|--sort|--top|--max-flows|--proc-root|--resolve-interval|--prom|--owners)'

    # Which options are on the line already, by long name.  An option's
    # argument is skipped, so that "-r -" or "--command -x" is no option.
    local -A given=()
    local i j w name
    for ((i = 1; i < cword; i++)); do
        w=${words[i]}
        case $w in
            --)
                return # only filter words follow
                ;;
            --?*=*)
                given[${w%%=*}]=1
                ;;
            --?*)
                given[$w]=1
                [[ $w == $takes_arg ]] && ((i++))
                ;;
            -?*)
                # a cluster of short options (-qC); one that takes an
                # argument ends it, the argument glued (-d5) or the next word
                for ((j = 1; j < ${#w}; j++)); do
                    name=${long[-${w:j:1}]-}
                    [[ $name ]] || break
                    given[$name]=1
                    if [[ $name == $takes_arg ]]; then
                        ((j == ${#w} - 1)) && ((i++))
                        break
                    fi
                done
                ;;
            *)
                return # the filter expression has begun
                ;;
        esac
    done

    # -h and -V stand alone; a word that is no option is a filter word.
    [[ ${given[--help]-}${given[--version]-} ]] && return
    [[ $cur == -* ]] || return

    # The options whose presence hides an option: itself (not twice), and
    # the options it cannot go with.  An empty list: it may be repeated.
    local -A hidden_by=(
        [--csv]='--csv --tsv --json'
        [--tsv]='--csv --tsv --json'
        [--json]='--csv --tsv --json'
        [--interface]='--read'
        [--read]='--read --interface'
        [--group-by]='--group-by --connections'
        [--connections]='--connections --group-by'
        [--realtime]='--realtime --no-realtime'
        [--no-realtime]='--no-realtime --realtime'
        [--pid]=''
        [--user]=''
        [--command]=''
    )
    local -a offer=()
    local opt hider
    for opt in -h --help -V --version -q --quiet --csv --tsv --json \
        --no-header -t --timestamps -c --count -d --duration -i --interface \
        -r --read -w --write -I --interval --total --rate -H --human -g --group-by \
        -C --connections -p --pid -u --user --command --no-unknown -s --sort \
        --top --max-flows --proc-root --resolve-interval --owners --realtime \
        --no-realtime --prom; do
        name=${long[$opt]-$opt}
        for hider in ${hidden_by[$name]-$name}; do
            [[ ${given[$hider]-} ]] && continue 2
        done
        offer+=("$opt")
    done
    COMPREPLY=($(compgen -W '${offer[*]}' -- "$cur"))
} &&
    complete -F _proctraf proctraf

# ex: filetype=sh
