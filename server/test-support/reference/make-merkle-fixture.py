#!/usr/bin/env python3
"""
Reference values for the audit trail's Merkle tree (server/src/modules/audit/merkle.test.ts and
sdk/src/audit-proof.test.ts): RFC 6962 section 2.1 tree heads, audit paths and consistency proofs.

Run from anywhere: `python3 server/test-support/reference/make-merkle-fixture.py`. It rewrites
merkle-rfc6962.json beside it, deterministically.

Two sources, checked against each other before anything is written:
- the Certificate Transparency reference vectors (8 leaves: tree heads for sizes 1-8, audit
  paths, consistency proofs), as published with the CT log implementations and kept in
  https://github.com/transparency-dev/merkle/blob/main/proof/verify_test.go;
- MTH, PATH and SUBPROOF written here from the RFC's recursive definitions with hashlib, and
  run over those leaves and over larger trees (up to 300 leaves) for the cases the 8-leaf
  vectors do not reach (odd sizes past a power of two, proofs several levels deep).
"""
import hashlib
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))


def sha256(b):
    return hashlib.sha256(b).digest()


def leaf_hash(data):
    return sha256(b"\x00" + data)


def node_hash(left, right):
    return sha256(b"\x01" + left + right)


def largest_power_of_two_below(n):
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def mth(d):
    """MTH(D[n]), RFC 6962 section 2.1."""
    n = len(d)
    if n == 0:
        return sha256(b"")
    if n == 1:
        return leaf_hash(d[0])
    k = largest_power_of_two_below(n)
    return node_hash(mth(d[:k]), mth(d[k:]))


def path(m, d):
    """PATH(m, D[n]), RFC 6962 section 2.1.1: the audit path of leaf m."""
    n = len(d)
    if n == 1:
        return []
    k = largest_power_of_two_below(n)
    if m < k:
        return path(m, d[:k]) + [mth(d[k:])]
    return path(m - k, d[k:]) + [mth(d[:k])]


def subproof(m, d, b):
    """SUBPROOF(m, D[n], b), RFC 6962 section 2.1.2."""
    n = len(d)
    if m == n:
        return [] if b else [mth(d)]
    k = largest_power_of_two_below(n)
    if m <= k:
        return subproof(m, d[:k], b) + [mth(d[k:])]
    return subproof(m - k, d[k:], False) + [mth(d[:k])]


def proof(m, d):
    """PROOF(m, D[n]): the consistency proof from the first m leaves to all n."""
    return subproof(m, d, True)


# The CT reference vectors: leaves, tree heads for sizes 1..8, audit paths (1-based leaf,
# size) and consistency proofs (size1, size2).
CT_LEAVES = ["", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f"]
CT_ROOTS = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
CT_EMPTY = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
CT_PATHS = [
    (1, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
    (6, 8, ["bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
    (3, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
    (2, 5, ["6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]),
]
CT_CONSISTENCY = [
    (1, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
    (6, 8, ["0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
    (2, 5, ["5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]),
    (6, 7, ["0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
]


def hx(hashes):
    return [h.hex() for h in hashes]


def check_ct():
    leaves = [bytes.fromhex(x) for x in CT_LEAVES]
    assert mth([]).hex() == CT_EMPTY
    for n in range(1, 9):
        assert mth(leaves[:n]).hex() == CT_ROOTS[n - 1], f"root of {n}"
    for leaf, n, want in CT_PATHS:
        assert hx(path(leaf - 1, leaves[:n])) == want, f"path {leaf} of {n}"
    for m, n, want in CT_CONSISTENCY:
        assert hx(proof(m, leaves[:n])) == want, f"consistency {m}->{n}"
    return leaves


def main():
    ct_leaves = check_ct()
    ct = {
        "leaves": CT_LEAVES,
        "emptyRoot": CT_EMPTY,
        "roots": [{"size": n, "root": CT_ROOTS[n - 1]} for n in range(1, 9)],
        "inclusion": [{"index": leaf - 1, "size": n, "path": p} for leaf, n, p in CT_PATHS]
        # Every leaf of every size up to 8, from the definitions (the vectors above among them).
        + [{"index": i, "size": n, "path": hx(path(i, ct_leaves[:n]))} for n in range(1, 9) for i in range(n) if (i + 1, n) not in {(a, b) for a, b, _ in CT_PATHS}],
        "consistency": [{"size1": m, "size2": n, "proof": p} for m, n, p in CT_CONSISTENCY]
        + [{"size1": m, "size2": n, "proof": hx(proof(m, ct_leaves[:n]))} for n in range(1, 9) for m in range(1, n) if (m, n) not in {(a, b) for a, b, _ in CT_CONSISTENCY}],
    }
    # Larger trees: leaf i is the 32-byte SHA-256 of its decimal index, the shape of an audit
    # entry's hash (the audit tree's leaves are entry hashes).
    big = [sha256(str(i).encode()) for i in range(300)]
    sizes = [1, 2, 3, 7, 8, 9, 31, 32, 33, 63, 64, 65, 100, 127, 128, 129, 255, 256, 257, 300]
    larger = {
        "leaves": [b.hex() for b in big],
        "roots": [{"size": n, "root": mth(big[:n]).hex()} for n in sizes],
        "inclusion": [
            {"index": i, "size": n, "path": hx(path(i, big[:n]))}
            for n in sizes
            for i in sorted({0, n // 3, n // 2, n - 2 if n > 1 else 0, n - 1})
        ],
        "consistency": [
            {"size1": m, "size2": n, "proof": hx(proof(m, big[:n]))}
            for n in sizes
            for m in sorted({1, n // 2, n - 1} - {0})
            if m < n
        ],
    }
    out = {"generator": "make-merkle-fixture.py (RFC 6962 section 2.1, checked against the CT reference vectors)", "ct": ct, "larger": larger}
    with open(os.path.join(HERE, "merkle-rfc6962.json"), "w") as f:
        json.dump(out, f, separators=(",", ":"))
        f.write("\n")


if __name__ == "__main__":
    main()
