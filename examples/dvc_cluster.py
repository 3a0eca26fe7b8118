"""dvc_redis_cluster's partitions for the example consumers (docs/redis.md).

The gateway spreads the shared streams over 16 partitions, each named with
its hash tag: dvc:inbox:{00dd} .. dvc:inbox:{15db}, dvc:notify:{00dd} ..
dvc:notify:{15db}.  masters() says which master serves each partition, from
a node's CLUSTER SLOTS answer; a consumer then reads each stream on its
master (and asks again on MOVED/ASK).  Python 3 standard library only.
"""

# the partitions' hash tags, one slot in each sixteenth of the slot space
# (core/dvc_cluster.c holds the same table)
TAGS = ["00dd", "01dc", "02d", "03fc", "04c", "05ad", "06bd", "07bc",
        "08bb", "09c", "10c", "11aa", "12bd", "13bc", "14da", "15db"]


def crc16(data):
    """Redis Cluster's CRC16 (XMODEM), for the slot of a partition's tag."""
    c = 0
    for ch in data:
        c ^= ch << 8
        for _ in range(8):
            c = ((c << 1) ^ 0x1021) & 0xffff if c & 0x8000 \
                else (c << 1) & 0xffff
    return c


def slot(tag):
    return crc16(tag.encode()) % 16384


def _text(v):
    return v.decode() if isinstance(v, bytes) else str(v)


def masters(slots_reply, seed_host):
    """[(tag, host, port)] for the 16 partitions, from CLUSTER SLOTS (as
    bytes or str); an empty host (Redis 7) is the seed's.  LookupError when
    a partition's slot is served by no master."""
    ranges = [(int(r[0]), int(r[1]), _text(r[2][0]) or seed_host,
               int(r[2][1])) for r in slots_reply]
    out = []
    for tag in TAGS:
        s = slot(tag)
        owner = [(h, p) for a, b, h, p in ranges if a <= s <= b]
        if not owner:
            raise LookupError("slot %d (partition {%s}) is not served"
                              % (s, tag))
        out.append((tag,) + owner[0])
    return out
