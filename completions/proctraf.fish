# fish completion for proctraf(1)
# Installed as share/fish/vendor_completions.d/proctraf.fish.

function __proctraf_interfaces --description 'Interfaces proctraf can capture on'
    printf '%s\tevery interface\n' any
    for i in /sys/class/net/*
        printf '%s\tnetwork interface\n' (string replace -r '.*/' '' -- $i)
    end
end

# The arguments after the options are a BPF filter, not files.
complete -c proctraf -f

complete -c proctraf -s h -l help -d 'Show the usage and exit'
complete -c proctraf -s V -l version -d 'Show the version and exit'
complete -c proctraf -l csv -n 'not __fish_seen_argument -l tsv' -d 'Write CSV (RFC 4180)'
complete -c proctraf -l tsv -n 'not __fish_seen_argument -l csv' -d 'Write tab-separated values'
complete -c proctraf -l no-header -d 'Omit the header line (and the text footer)'
complete -c proctraf -s c -l count -x -d 'Stop after this many packets'
complete -c proctraf -s d -l duration -x -d 'Stop after this many seconds (decimals allowed)'
complete -c proctraf -s i -l interface -x -n 'not __fish_seen_argument -s r -l read' -a '(__proctraf_interfaces)' -d 'Capture on this interface (repeatable)'
complete -c proctraf -s r -l read -r -F -n 'not __fish_seen_argument -s i -l interface' -d 'Read a pcap or pcapng file (- for stdin) instead of capturing'
complete -c proctraf -l max-flows -x -d 'Bound of the flow table (default 1000000)'
complete -c proctraf -l proc-root -x -a '(__fish_complete_directories (commandline -ct))' -d 'Read the /proc files below this directory'
complete -c proctraf -l no-realtime -d 'Capture at normal priority, not SCHED_FIFO'
complete -c proctraf -l resolve-interval -x -d 'Seconds between re-reads of sockets (default 1)'
