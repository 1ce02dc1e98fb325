# fish completion for proctraf(1)
# Installed as share/fish/vendor_completions.d/proctraf.fish.
#
# The rules the three shells share (see completions/proctraf.bash): an
# option is not offered twice, except -i, -p, -u and --command; --csv, --tsv
# and --json exclude each other, -i and -r too, -C and -g too (and
# --realtime and --no-realtime); after -h or
# -V nothing more is offered; after "--" or the first filter-expression
# word, only filter words follow.

# The options given before the current word, by long name; "--" once the
# options have ended.  fish's own __fish_seen_argument cannot serve: it
# misses "--read=FILE" and "-d5", and takes an option's argument ("-r -")
# for an option.  An option that waits for its argument in the current
# word is left out, so that its argument is still completed.
function __proctraf_given --description 'Options of proctraf before the cursor'
    set -l short h help V version q quiet t timestamps c count d duration \
        i interface r read w write I interval H human g group-by C connections \
        p pid u user s sort
    set -l with_arg count duration interface read write interval group-by pid user \
        command sort top max-flows proc-root resolve-interval prom owners
    set -l tokens (commandline -opc)
    set -e tokens[1]
    set -l waiting
    for t in $tokens
        if set -q waiting[1]
            printf '%s\n' $waiting
            set waiting
            continue
        end
        switch $t
            case --
                printf '%s\n' --
                return
            case '--*=*'
                string replace -r -- '^--([^=]*)=.*' '$1' $t
            case '--?*'
                set -l name (string sub -s 3 -- $t)
                if contains -- $name $with_arg
                    set waiting $name
                else
                    printf '%s\n' $name
                end
            case '-?*'
                # A cluster of short options (-qC); one that takes an
                # argument ends it, the argument glued (-d5) or the next word.
                set -l letters (string split '' -- (string sub -s 2 -- $t))
                for k in (seq (count $letters))
                    # "contains" is case-sensitive: -i and -I differ.
                    set -l n (contains -i -- $letters[$k] $short)
                    or break
                    set -l name $short[(math $n + 1)]
                    if not contains -- $name $with_arg
                        printf '%s\n' $name
                    else if test $k -lt (count $letters)
                        printf '%s\n' $name
                        break
                    else
                        set waiting $name
                    end
                end
            case '*'
                # the filter expression has begun
                printf '%s\n' --
                return
        end
    end
end

# Whether option NAME (its long name) may still be offered.
function __proctraf_offer --argument-names name
    set -l given (__proctraf_given)
    # -h and -V stand alone; after "--" only filter words follow.
    for g in -- help version
        contains -- $g $given; and return 1
    end
    # The options whose presence hides NAME: itself (not twice), and the
    # options it cannot go with; none for those that may be repeated.
    set -l hiders $name
    switch $name
        case csv tsv json
            set hiders csv tsv json
        case interface
            set hiders read
        case read
            set hiders read interface
        case group-by connections
            set hiders group-by connections
        case realtime no-realtime
            set hiders realtime no-realtime
        case pid user command
            set hiders
    end
    for h in $hiders
        contains -- $h $given; and return 1
    end
    return 0
end

function __proctraf_interfaces --description 'Interfaces proctraf can capture on'
    printf '%s\tevery interface\n' any
    for i in /sys/class/net/*
        printf '%s\tnetwork interface\n' (string replace -r '.*/' '' -- $i)
    end
end

# The value of the current word: what follows "--long=" if it is there.
# Completions of "--long=VALUE" are for VALUE; fish puts "--long=" back.
function __proctraf_value
    string replace -r -- '^--[^=]*=' '' (commandline -ct)
end

# Directories for --proc-root.  Given the whole word "--proc-root=X",
# __fish_complete_directories would answer "--proc-root=X..." and fish
# would add "--proc-root=" again.
function __proctraf_directories
    __fish_complete_directories (__proctraf_value)
end

# *.prom files and directories for --prom: node_exporter's textfile
# collector reads only *.prom files.
function __proctraf_prom_files
    set -l v (__proctraf_value)
    for f in $v*
        if test -d $f
            printf '%s/\n' $f
        else if string match -q -- '*.prom' $f
            printf '%s\n' $f
        end
    end
end

# -g user,<TAB>: the key after the last comma, the keys before it kept, and
# the keys already in the list left out.
function __proctraf_group_keys
    set -l given (string split , -- (__proctraf_value))
    set -e given[-1]
    set -l prefix
    set -q given[1]; and set prefix (string join , -- $given),
    for key in pid user command netns cgroup unit container
        contains -- $key $given; or printf '%s%s\tgrouping key\n' $prefix $key
    end
end

# The arguments after the options are a BPF filter, not files.
complete -c proctraf -f

complete -c proctraf -s h -l help -n '__proctraf_offer help' -d 'Show the usage and exit'
complete -c proctraf -s V -l version -n '__proctraf_offer version' -d 'Show the version and exit'
complete -c proctraf -s q -l quiet -n '__proctraf_offer quiet' -d 'No intro or progress line on a terminal'
complete -c proctraf -l csv -n '__proctraf_offer csv' -d 'Write CSV (RFC 4180)'
complete -c proctraf -l tsv -n '__proctraf_offer tsv' -d 'Write tab-separated values'
complete -c proctraf -l json -n '__proctraf_offer json' -d 'Write JSON lines'
complete -c proctraf -l no-header -n '__proctraf_offer no-header' -d 'Omit the header line (and the text footer)'
complete -c proctraf -s t -l timestamps -n '__proctraf_offer timestamps' -d 'Leading start, end and duration columns'
complete -c proctraf -s c -l count -x -n '__proctraf_offer count' -d 'Stop after this many packets'
complete -c proctraf -s d -l duration -x -n '__proctraf_offer duration' -d 'Stop after this long (seconds, or suffix s, m, h)'
complete -c proctraf -s i -l interface -x -n '__proctraf_offer interface' -a '(__proctraf_interfaces)' -d 'Capture on this interface (repeatable)'
complete -c proctraf -s r -l read -r -F -n '__proctraf_offer read' -d 'Read a pcap or pcapng file (- for stdin) instead of capturing'
complete -c proctraf -s w -l write -r -F -n '__proctraf_offer write' -d 'Write the packets as pcapng, each with its owners (- for stdout)'
complete -c proctraf -s I -l interval -x -n '__proctraf_offer interval' -d 'Report every interval (seconds, or suffix s, m, h)'
complete -c proctraf -l total -n '__proctraf_offer total' -d 'With -I: a report of the whole run at the end too'
complete -c proctraf -l rate -n '__proctraf_offer rate' -d 'sent_rate and recv_rate columns (bytes/s)'
complete -c proctraf -s H -l human -n '__proctraf_offer human' -d 'Text table: bytes as 1.5K, 3.2M, ...'
complete -c proctraf -s g -l group-by -x -n '__proctraf_offer group-by' -a '(__proctraf_group_keys)' -d 'Group the rows by these keys (key,key,...)'
complete -c proctraf -s C -l connections -n '__proctraf_offer connections' -d 'One row per flow and local end'
complete -c proctraf -s p -l pid -x -n '__proctraf_offer pid' -a '(__fish_complete_pids)' -d 'Select a process by pid (repeatable)'
complete -c proctraf -s u -l user -x -n '__proctraf_offer user' -a '(__fish_complete_users)' -d 'Select the processes of a user (repeatable)'
complete -c proctraf -l command -x -n '__proctraf_offer command' -a '(__fish_complete_proc)' -d 'Select processes by name, a glob (repeatable)'
complete -c proctraf -l no-unknown -n '__proctraf_offer no-unknown' -d 'Drop the unknown:* rows'
complete -c proctraf -s s -l sort -x -n '__proctraf_offer sort' -d 'Sort the rows by this key' -a 'total sent_bytes recv_bytes
    sent_packets recv_packets flows processes pid user command netns cgroup unit container proto
    local_addr local_port remote_addr remote_port via first last cmdline sent_rate recv_rate start
    end duration'
complete -c proctraf -l top -x -n '__proctraf_offer top' -d 'Print only the first n rows'
complete -c proctraf -l max-flows -x -n '__proctraf_offer max-flows' -d 'Bound of the flow table (default 1000000)'
complete -c proctraf -l proc-root -x -n '__proctraf_offer proc-root' -a '(__proctraf_directories)' -d 'Read the /proc files below this directory'
complete -c proctraf -l resolve-interval -x -n '__proctraf_offer resolve-interval' -d 'Time between re-reads of sockets and processes (default 1)'
complete -c proctraf -l prom -x -n '__proctraf_offer prom' -a '(__proctraf_prom_files)' -d 'Keep Prometheus metrics in this file (node_exporter textfile collector)'
complete -c proctraf -l owners -x -n '__proctraf_offer owners' -a 'auto\t"The kernel\'s eBPF reports when they load, else /proc" kernel\t"The kernel\'s eBPF reports, or fail" proc\t"/proc and sock_diag only"' -d 'Where owners of sockets come from'
complete -c proctraf -l realtime -n '__proctraf_offer realtime' -d 'Capture at SCHED_FIFO, also with the kernel\'s owners'
complete -c proctraf -l no-realtime -n '__proctraf_offer no-realtime' -d 'Capture at normal priority, not SCHED_FIFO'
