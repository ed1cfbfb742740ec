#!/usr/bin/env python3
"""A tiny IRC client that drives bitlbee for the gateway lab (scripts/lab.sh, oscar-* scenarios).

It registers with bitlbee, adds an OSCAR account (UIN, password, login server) and turns it on,
then, once the buddy named with --message-to has joined &bitlbee (signed on), sends it a message.
Every line bitlbee sends is logged with seconds since start, so the lab's logs show what bitlbee
itself said about signing on."""
import argparse, socket, sys, time

parser = argparse.ArgumentParser()
parser.add_argument("--connect", required=True, help="bitlbee's IRC address:port")
parser.add_argument("--uin", required=True)
parser.add_argument("--password", required=True)
parser.add_argument("--server", required=True, help="the OSCAR login server's address (port 5190)")
parser.add_argument("--message-to", help="UIN:TEXT, sent once UIN is online")
parser.add_argument("--run-for", type=float, default=10)
args = parser.parse_args()

start = time.monotonic()
def log(text):
    sys.stderr.write(f"{time.monotonic() - start:.3f} irc-{args.uin}: {text}\n")
    sys.stderr.flush()

host, port = args.connect.rsplit(":", 1)
deadline = start + 5
while True:
    try:
        irc = socket.create_connection((host, int(port)), timeout=1)
        break
    except OSError:
        if time.monotonic() > deadline: raise
        time.sleep(0.05)
irc.settimeout(0.2)
def send(line):
    log(f"> {line}")
    irc.sendall((line + "\r\n").encode())

send(f"NICK lab{args.uin}")
send(f"USER lab{args.uin} 0 * :lab")
target, text = (args.message_to.split(":", 1) if args.message_to else (None, None))
buffer, registered, sent = b"", False, False
while time.monotonic() - start < args.run_for:
    try:
        data = irc.recv(4096)
        if not data:
            log("bitlbee closed the connection"); break
        buffer += data
    except socket.timeout:
        continue
    while b"\r\n" in buffer:
        raw, buffer = buffer.split(b"\r\n", 1)
        line = raw.decode(errors="replace")
        log(f"< {line}")
        words = line.split(" ")
        if words[0] == "PING":
            send("PONG " + " ".join(words[1:]))
        elif len(words) > 1 and words[1] == "001" and not registered:
            registered = True
            send(f"PRIVMSG &bitlbee :account add oscar {args.uin} {args.password} {args.server}")
            send("PRIVMSG &bitlbee :account on")
        elif target and not sent and len(words) > 2 and words[1] == "JOIN" and target in words[0].split("!")[0]:
            nick = words[0].lstrip(":").split("!")[0]
            send(f"PRIVMSG {nick} :{text}")
            sent = True
send("QUIT :lab done")
irc.close()
