#!/bin/sh
/work/main/target/debug/sandboxer --layers 2 --listen-abstract demo read /etc/hostname write /etc/x bind 9000 connect 80 signal 1 abstract demo read /bin/sh read "$(cat /tmp/lt-logs/evil-name)" read "/tmp/résumé é.pdf"
