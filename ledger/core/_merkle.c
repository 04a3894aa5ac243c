/* Native Merkle hot paths (RFC 9162 §2.1) on OpenSSL's SHA-256: ledger.core._merkle.
 *
 * An optional accelerator: ledger/core/hashing.py and merkle.py hold the pure
 * Python reference and call these functions only when the module imports.
 * Each function does a whole batch in one call and returns exactly what the
 * Python version returns. Inputs outside the fast path (items that are not
 * exactly `bytes`, indexes beyond 64 bits, inconsistent levels) raise
 * `Unsupported` before any work, and the Python side falls back to the
 * reference, so results never depend on which path ran.
 *
 * Safety: every hashed buffer belongs to an exact `bytes` object (immutable)
 * held by a tuple or list this module owns, so its pointer stays valid while
 * the GIL is released around the hashing loops.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <openssl/evp.h>
#include <stdint.h>
#include <string.h>

#define HASH_SIZE 32
/* Below this many hashes, releasing the GIL costs more than it lends (hashlib likewise keeps
 * it for inputs under 2 KiB). */
#define GIL_RELEASE_MIN 64

static const unsigned char LEAF_PREFIX = 0x00, NODE_PREFIX = 0x01;
static EVP_MD *sha256_md;      /* fetched once per process, read-only afterwards */
static PyObject *Unsupported;  /* "use the Python reference for this input" */

typedef struct {
    const unsigned char *p;
    Py_ssize_t n;
} span;

/* --- hashing (no Python API: callable without the GIL) ------------------------------ */

/* out = SHA-256(prefix || a || b); b may be empty. Returns 0 on an OpenSSL failure. */
static int sha(EVP_MD_CTX *ctx, unsigned char prefix, span a, span b, unsigned char *out) {
    return EVP_DigestInit_ex2(ctx, sha256_md, NULL) && EVP_DigestUpdate(ctx, &prefix, 1) &&
           EVP_DigestUpdate(ctx, a.p, (size_t)a.n) && EVP_DigestUpdate(ctx, b.p, (size_t)b.n) &&
           EVP_DigestFinal_ex(ctx, out, NULL);
}

static int bit_length(uint64_t x) {
    int n = 0;
    for (; x; x >>= 1) n++;
    return n;
}

static int popcount(uint64_t x) {
    int n = 0;
    for (; x; x &= x - 1) n++;
    return n;
}

/* Steps a path for leaf `index` of a tree of `size` must have; -1 if no path fits.
 * At most 63 (index < size < 2^63), which bounds the `span scratch[64]` arrays below. */
static Py_ssize_t path_length(long long index, long long size) {
    if (index < 0 || index >= size) return -1;
    int inner = bit_length((uint64_t)(index ^ (size - 1)));
    return inner + popcount((uint64_t)index >> inner);
}

/* The root a path of the right length (path_length) leads to from `leaf`: RFC 9162 §2.1.3.2
 * arranged as merkle.root_from_path. The first `inner` steps climb the perfect subtree that
 * holds the leaf (the index bit says which side the sibling is on); the rest join left
 * siblings along the tree's right border. The root is `out` (or `leaf` for an empty path).
 * Returns 0 on an OpenSSL failure. */
static int climb(EVP_MD_CTX *ctx, span leaf, uint64_t index, uint64_t size, const span *path,
                 Py_ssize_t len, unsigned char *out) {
    int inner = bit_length(index ^ (size - 1));
    span r = leaf;
    for (Py_ssize_t k = 0; k < len; k++) {
        int sibling_left = k >= inner || ((index >> k) & 1);
        /* r may be `out` itself: it is read by DigestUpdate before DigestFinal writes `out`. */
        if (!(sibling_left ? sha(ctx, NODE_PREFIX, path[k], r, out) : sha(ctx, NODE_PREFIX, r, path[k], out)))
            return 0;
        r.p = out;
        r.n = HASH_SIZE;
    }
    return 1;
}

/* --- argument helpers (GIL held) ---------------------------------------------------- */

static int unsupported(const char *why) {
    PyErr_SetString(Unsupported, why);
    return -1;
}

/* A tuple we own with the items of a list or tuple (Unsupported for other sequences, which
 * might be iterators the Python fallback must still be able to read). */
static PyObject *seq_tuple(PyObject *seq) {
    if (!PyList_CheckExact(seq) && !PyTuple_CheckExact(seq)) {
        unsupported("expected a list or tuple");
        return NULL;
    }
    return PySequence_Tuple(seq);
}

/* Fill `out` with the spans of `tuple`'s items, which must all be exact bytes. */
static int bytes_spans(PyObject *tuple, span *out) {
    Py_ssize_t n = PyTuple_GET_SIZE(tuple);
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *item = PyTuple_GET_ITEM(tuple, i);
        if (!PyBytes_CheckExact(item)) return unsupported("items must be bytes");
        out[i].p = (const unsigned char *)PyBytes_AS_STRING(item);
        out[i].n = PyBytes_GET_SIZE(item);
    }
    return 0;
}

static int as_span(PyObject *obj, span *out) {
    if (!PyBytes_CheckExact(obj)) return unsupported("hashes must be bytes");
    out->p = (const unsigned char *)PyBytes_AS_STRING(obj);
    out->n = PyBytes_GET_SIZE(obj);
    return 0;
}

/* A Python int as int64; Unsupported for other types or values beyond 64 bits. */
static int as_int64(PyObject *obj, long long *out) {
    int overflow = 0;
    if (!PyLong_Check(obj)) return unsupported("indexes and sizes must be int");
    *out = PyLong_AsLongLongAndOverflow(obj, &overflow);
    if (overflow) return unsupported("index or size beyond 64 bits");
    return (*out == -1 && PyErr_Occurred()) ? -1 : 0;
}

static PyObject *openssl_error(void) {
    PyErr_SetString(PyExc_RuntimeError, "OpenSSL SHA-256 failed");
    return NULL;
}

/* --- leaf_hashes -------------------------------------------------------------------- */

PyDoc_STRVAR(leaf_hashes_doc, "leaf_hashes(items: list[bytes] | tuple[bytes, ...]) -> list[bytes]\n\n"
                              "[SHA-256(0x00 || d) for d in items].");

static PyObject *leaf_hashes(PyObject *self, PyObject *items) {
    PyObject *tuple = seq_tuple(items), *result = NULL;
    if (!tuple) return NULL;
    Py_ssize_t n = PyTuple_GET_SIZE(tuple);
    span *in = PyMem_New(span, n ? n : 1);
    unsigned char *digests = PyMem_Malloc(n ? (size_t)n * HASH_SIZE : 1);
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    if (!in || !digests || !ctx) {
        PyErr_NoMemory();
        goto done;
    }
    if (bytes_spans(tuple, in) < 0) goto done;
    int ok = 1;
    PyThreadState *ts = n >= GIL_RELEASE_MIN ? PyEval_SaveThread() : NULL;
    static const span none = {NULL, 0};
    for (Py_ssize_t i = 0; ok && i < n; i++) ok = sha(ctx, LEAF_PREFIX, in[i], none, digests + i * HASH_SIZE);
    if (ts) PyEval_RestoreThread(ts);
    if (!ok) {
        openssl_error();
        goto done;
    }
    if (!(result = PyList_New(n))) goto done;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *h = PyBytes_FromStringAndSize((const char *)digests + i * HASH_SIZE, HASH_SIZE);
        if (!h) {
            Py_CLEAR(result);
            goto done;
        }
        PyList_SET_ITEM(result, i, h);
    }
done:
    EVP_MD_CTX_free(ctx);
    PyMem_Free(digests);
    PyMem_Free(in);
    Py_DECREF(tuple);
    return result;
}

/* --- canonical_leaf_hashes ------------------------------------------------------------ */

PyDoc_STRVAR(canonical_leaf_hashes_doc,
             "canonical_leaf_hashes(items: Sequence[bytes]) -> list[bytes | None]\n\n"
             "SHA-256(0x00 || RFC 8785 form) of each item, an object msgspec encoded with sorted\n"
             "keys. The two differ only in how integral floats print (1.0 vs 1, -0.0 vs 0), which\n"
             "is rewritten here; None for an item holding anything else that could differ\n"
             "(escapes, non-ASCII text, exponents, null, integers of 16 digits or more): the\n"
             "caller takes the Python reference for those.");

/* Rewrite msgspec's sorted JSON `in` into its RFC 8785 form in `out` (room for n bytes).
 * Returns the output length, or -1 when only the reference may decide. */
static Py_ssize_t jcs_rewrite(const unsigned char *in, Py_ssize_t n, unsigned char *out) {
    Py_ssize_t i = 0, o = 0;
    while (i < n) {
        unsigned char c = in[i];
        if (c == '"') {
            out[o++] = in[i++];
            while (i < n && in[i] != '"') {
                if (in[i] == '\\' || in[i] >= 0x80 || in[i] < 0x20) return -1;
                out[o++] = in[i++];
            }
            if (i >= n) return -1;
            out[o++] = in[i++];
        } else if (c == '-' || (c >= '0' && c <= '9')) {
            Py_ssize_t start = i, dot = -1, digits = 0;
            for (; i < n && (in[i] == '-' || in[i] == '.' || (in[i] >= '0' && in[i] <= '9') || in[i] == 'e' ||
                             in[i] == 'E' || in[i] == '+');
                 i++) {
                if (in[i] == 'e' || in[i] == 'E' || in[i] == '+') return -1;
                if (in[i] == '.') dot = i;
                else if (in[i] != '-' && dot < 0) digits++;
            }
            if (digits >= 16) return -1; /* beyond what both print alike (2^53) */
            Py_ssize_t end = i;
            if (dot >= 0 && end - dot == 2 && in[dot + 1] == '0') { /* integral float: drop ".0" */
                end = dot;
                if (end - start == 2 && in[start] == '-' && in[start + 1] == '0') start++; /* -0 -> 0 */
            }
            memcpy(out + o, in + start, (size_t)(end - start));
            o += end - start;
        } else if (c == 'n') {
            return -1; /* null: maybe a NaN or infinity msgspec wrote as null */
        } else {
            out[o++] = in[i++];
        }
    }
    return o;
}

static PyObject *canonical_leaf_hashes(PyObject *self, PyObject *items) {
    PyObject *tuple = seq_tuple(items), *result = NULL;
    if (!tuple) return NULL;
    Py_ssize_t n = PyTuple_GET_SIZE(tuple), longest = 1;
    span *in = PyMem_New(span, n ? n : 1);
    unsigned char *digests = PyMem_Malloc(n ? (size_t)n * HASH_SIZE : 1);
    char *ok = PyMem_Malloc(n ? (size_t)n : 1);
    unsigned char *buf = NULL;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    if (!in || !digests || !ok || !ctx) {
        PyErr_NoMemory();
        goto done;
    }
    if (bytes_spans(tuple, in) < 0) goto done;
    for (Py_ssize_t i = 0; i < n; i++)
        if (in[i].n > longest) longest = in[i].n;
    if (!(buf = PyMem_Malloc((size_t)longest))) {
        PyErr_NoMemory();
        goto done;
    }
    int fine = 1;
    PyThreadState *ts = n >= GIL_RELEASE_MIN ? PyEval_SaveThread() : NULL;
    static const span none = {NULL, 0};
    for (Py_ssize_t i = 0; fine && i < n; i++) {
        Py_ssize_t len = jcs_rewrite(in[i].p, in[i].n, buf);
        ok[i] = len >= 0;
        if (ok[i]) {
            span s = {buf, len};
            fine = sha(ctx, LEAF_PREFIX, s, none, digests + i * HASH_SIZE);
        }
    }
    if (ts) PyEval_RestoreThread(ts);
    if (!fine) {
        openssl_error();
        goto done;
    }
    if (!(result = PyList_New(n))) goto done;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *h;
        if (ok[i]) {
            h = PyBytes_FromStringAndSize((const char *)digests + i * HASH_SIZE, HASH_SIZE);
            if (!h) {
                Py_CLEAR(result);
                goto done;
            }
        } else {
            h = Py_NewRef(Py_None);
        }
        PyList_SET_ITEM(result, i, h);
    }
done:
    EVP_MD_CTX_free(ctx);
    PyMem_Free(buf);
    PyMem_Free(ok);
    PyMem_Free(digests);
    PyMem_Free(in);
    Py_DECREF(tuple);
    return result;
}

/* --- tree_levels -------------------------------------------------------------------- */

PyDoc_STRVAR(tree_levels_doc, "tree_levels(leaves: Sequence[bytes]) -> list[list[bytes]]\n\n"
                              "Every level of the RFC 9162 tree, leaves first, built level by level\n"
                              "with an odd last node promoted (the same object) to the next level.");

/* Hash every level above `n` leaves into `digests` (the hashed nodes of all levels, level
 * after level). `cur` holds the leaves' spans and `nxt` room for (n + 1) / 2 spans.
 * Returns 0 on an OpenSSL failure. */
static int hash_levels(EVP_MD_CTX *ctx, span *cur, span *nxt, Py_ssize_t n, unsigned char *digests) {
    while (n > 1) {
        Py_ssize_t pairs = n / 2;
        for (Py_ssize_t j = 0; j < pairs; j++) {
            if (!sha(ctx, NODE_PREFIX, cur[2 * j], cur[2 * j + 1], digests)) return 0;
            nxt[j].p = digests;
            nxt[j].n = HASH_SIZE;
            digests += HASH_SIZE;
        }
        if (n & 1) nxt[pairs] = cur[n - 1];
        span *swap = cur;
        cur = nxt;
        nxt = swap;
        n = pairs + (n & 1);
    }
    return 1;
}

static PyObject *tree_levels(PyObject *self, PyObject *leaves) {
    PyObject *tuple = seq_tuple(leaves);
    if (!tuple) return NULL;
    PyObject *leaf_level = PySequence_List(tuple);  /* our own list: nobody else can mutate it */
    Py_DECREF(tuple);
    if (!leaf_level) return NULL;
    PyObject *levels = NULL;
    Py_ssize_t n = PyList_GET_SIZE(leaf_level);
    span *cur = PyMem_New(span, n ? n : 1), *nxt = PyMem_New(span, n / 2 + 1);
    unsigned char *digests = PyMem_Malloc(n ? (size_t)n * HASH_SIZE : 1);  /* n - 1 hashed nodes */
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    if (!cur || !nxt || !digests || !ctx) {
        PyErr_NoMemory();
        goto fail;
    }
    for (Py_ssize_t i = 0; i < n; i++)
        if (as_span(PyList_GET_ITEM(leaf_level, i), &cur[i]) < 0) goto fail;
    if (n == 0) {  /* no leaves: one root, the hash of the empty string (RFC 9162 §2.1.1) */
        unsigned char empty[HASH_SIZE];
        PyObject *root = EVP_Digest("", 0, empty, NULL, sha256_md, NULL)
                             ? PyBytes_FromStringAndSize((const char *)empty, HASH_SIZE)
                             : openssl_error();
        if (!root) goto fail;
        levels = Py_BuildValue("[[N]]", root);
        goto done;
    }
    PyThreadState *ts = n >= GIL_RELEASE_MIN ? PyEval_SaveThread() : NULL;
    int ok = hash_levels(ctx, cur, nxt, n, digests);
    if (ts) PyEval_RestoreThread(ts);
    if (!ok) {
        openssl_error();
        goto fail;
    }
    if (!(levels = PyList_New(0)) || PyList_Append(levels, leaf_level) < 0) goto fail;
    PyObject *level = leaf_level;  /* borrowed: `levels` holds every level */
    const unsigned char *d = digests;
    while ((n = PyList_GET_SIZE(level)) > 1) {
        Py_ssize_t pairs = n / 2;
        PyObject *up = PyList_New(pairs + (n & 1));
        if (!up) goto fail;
        for (Py_ssize_t j = 0; j < pairs; j++, d += HASH_SIZE) {
            PyObject *h = PyBytes_FromStringAndSize((const char *)d, HASH_SIZE);
            if (!h) {
                Py_DECREF(up);
                goto fail;
            }
            PyList_SET_ITEM(up, j, h);
        }
        if (n & 1) PyList_SET_ITEM(up, pairs, Py_NewRef(PyList_GET_ITEM(level, n - 1)));
        int appended = PyList_Append(levels, up);
        Py_DECREF(up);
        if (appended < 0) goto fail;
        level = up;
    }
    goto done;
fail:
    Py_CLEAR(levels);
done:
    EVP_MD_CTX_free(ctx);
    PyMem_Free(digests);
    PyMem_Free(nxt);
    PyMem_Free(cur);
    Py_DECREF(leaf_level);
    return levels;
}

/* --- all_paths ---------------------------------------------------------------------- */

PyDoc_STRVAR(all_paths_doc, "all_paths(levels: Sequence[Sequence[T]]) -> list[list[T]]\n\n"
                            "Every leaf's audit path (leaf to root) from stored levels, as\n"
                            "merkle.inclusion_proof_from_levels gives it, for any node objects.");

/* A new tuple of `levels`' levels, each as a tuple we own; Unsupported unless it is the shape
 * tree_levels builds (each level half the one below, rounded up, ending in one root). */
static PyObject *own_levels(PyObject *levels_in) {
    PyObject *given = seq_tuple(levels_in);
    if (!given) return NULL;
    Py_ssize_t depth = PyTuple_GET_SIZE(given);
    PyObject *levels = depth ? PyTuple_New(depth) : NULL;
    if (!depth) unsupported("no levels");
    for (Py_ssize_t h = 0; levels && h < depth; h++) {
        PyObject *level = seq_tuple(PyTuple_GET_ITEM(given, h));
        if (!level) Py_CLEAR(levels);
        else PyTuple_SET_ITEM(levels, h, level);
    }
    Py_DECREF(given);
    if (!levels || PyTuple_GET_SIZE(PyTuple_GET_ITEM(levels, 0)) <= 1) return levels;
    for (Py_ssize_t h = 0; h < depth; h++) {
        Py_ssize_t size = PyTuple_GET_SIZE(PyTuple_GET_ITEM(levels, h));
        Py_ssize_t up = h + 1 < depth ? PyTuple_GET_SIZE(PyTuple_GET_ITEM(levels, h + 1)) : 0;
        if (h + 1 < depth ? up != (size + 1) / 2 || size == 1 : size != 1) {
            Py_DECREF(levels);
            unsupported("levels are not one tree's");
            return NULL;
        }
    }
    return levels;
}

static PyObject *all_paths(PyObject *self, PyObject *levels_in) {
    PyObject *levels = own_levels(levels_in);
    if (!levels) return NULL;
    Py_ssize_t depth = PyTuple_GET_SIZE(levels), n = PyTuple_GET_SIZE(PyTuple_GET_ITEM(levels, 0));
    /* Allocating n lists runs the cyclic GC every 700 of them, which measured 10x slower than
     * the work itself. No Python code runs in this loop, so collection just waits for its end. */
    int gc_was_enabled = PyGC_Disable();
    PyObject *result = PyList_New(n);
    for (Py_ssize_t i = 0; result && i < n; i++) {
        Py_ssize_t len = 0, k = 0;
        for (Py_ssize_t h = 0; n > 1 && h + 1 < depth; h++)
            len += ((i >> h) ^ 1) < PyTuple_GET_SIZE(PyTuple_GET_ITEM(levels, h));
        PyObject *path = PyList_New(len);
        if (!path) {
            Py_CLEAR(result);
            break;
        }
        for (Py_ssize_t h = 0; k < len; h++) {
            PyObject *level = PyTuple_GET_ITEM(levels, h);
            Py_ssize_t sibling = (i >> h) ^ 1;
            if (sibling < PyTuple_GET_SIZE(level))
                PyList_SET_ITEM(path, k++, Py_NewRef(PyTuple_GET_ITEM(level, sibling)));
        }
        PyList_SET_ITEM(result, i, path);
    }
    if (gc_was_enabled) PyGC_Enable();
    Py_DECREF(levels);
    return result;
}

/* --- proof verification ------------------------------------------------------------- */

/* One proof, checked and unpacked. `path` is a tuple we own (its items stay alive). */
typedef struct {
    span leaf;
    uint64_t index, size;
    Py_ssize_t len; /* path steps, or -1 if the path does not fit (answer None / False) */
    PyObject *path;
} proof;

/* 0, or -1 with an exception set (Unsupported for inputs the Python reference must handle). */
static int unpack_proof(PyObject *leaf, PyObject *index, PyObject *size, PyObject *path, proof *out) {
    long long i, s;
    out->path = NULL;
    if (as_span(leaf, &out->leaf) < 0 || as_int64(index, &i) < 0 || as_int64(size, &s) < 0) return -1;
    if (!(out->path = seq_tuple(path))) return -1;
    Py_ssize_t len = PyTuple_GET_SIZE(out->path);
    out->len = path_length(i, s) == len ? len : -1;
    out->index = (uint64_t)i;
    out->size = (uint64_t)s;
    for (Py_ssize_t k = 0; out->len > 0 && k < len; k++)
        if (!PyBytes_CheckExact(PyTuple_GET_ITEM(out->path, k)))
            return unsupported("path steps must be bytes");
    return 0;
}

/* The root of `p` into `out`: 1 reached, 0 shape does not fit, -1 OpenSSL failure. Any GIL. */
static int proof_root(EVP_MD_CTX *ctx, const proof *p, span *scratch, unsigned char *out, span *root) {
    if (p->len < 0) return 0;
    for (Py_ssize_t k = 0; k < p->len; k++) {
        PyObject *step = PyTuple_GET_ITEM(p->path, k); /* plain struct reads: no Python API */
        scratch[k].p = (const unsigned char *)PyBytes_AS_STRING(step);
        scratch[k].n = PyBytes_GET_SIZE(step);
    }
    if (!climb(ctx, p->leaf, p->index, p->size, scratch, p->len, out)) return -1;
    if (p->len) {
        root->p = out;
        root->n = HASH_SIZE;
    } else {
        *root = p->leaf;
    }
    return 1;
}

static int same(span a, span b) { return a.n == b.n && memcmp(a.p, b.p, (size_t)a.n) == 0; }

PyDoc_STRVAR(root_from_path_doc,
             "root_from_path(leaf: bytes, index: int, tree_size: int, path: Sequence[bytes])"
             " -> bytes | None\n\nThe root `path` leads to from `leaf`, or None if the shape is wrong"
             " (RFC 9162 §2.1.3.2).");

PyDoc_STRVAR(verify_inclusion_doc,
             "verify_inclusion(leaf: bytes, index: int, tree_size: int, path: Sequence[bytes], root: bytes)"
             " -> bool\n\nTrue iff `path` proves `leaf` is leaf `index` of the tree of `tree_size` with"
             " `root`.");

/* root_from_path (4 arguments) and verify_inclusion (5: the root to compare with). */
static PyObject *one_proof(PyObject *const *args, Py_ssize_t nargs, int verify) {
    if (nargs != 4 + verify)
        return PyErr_Format(PyExc_TypeError, "expected %d arguments, got %zd", 4 + verify, nargs);
    span expected = {NULL, 0}, root, scratch[64];
    unsigned char out[HASH_SIZE];
    proof p;
    PyObject *result = NULL;
    EVP_MD_CTX *ctx = NULL;
    if (unpack_proof(args[0], args[1], args[2], args[3], &p) < 0) goto done;
    if (verify && as_span(args[4], &expected) < 0) goto done;
    if (!(ctx = EVP_MD_CTX_new())) {
        PyErr_NoMemory();
        goto done;
    }
    int got = proof_root(ctx, &p, scratch, out, &root);  /* len <= 63 for a fitting path */
    if (got < 0)
        openssl_error();
    else if (verify)
        result = PyBool_FromLong(got && same(root, expected));
    else if (!got)
        result = Py_NewRef(Py_None);
    else
        result = p.len ? PyBytes_FromStringAndSize((const char *)out, HASH_SIZE) : Py_NewRef(args[0]);
done:
    EVP_MD_CTX_free(ctx);
    Py_XDECREF(p.path);
    return result;
}

static PyObject *root_from_path(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    return one_proof(args, nargs, 0);
}

static PyObject *verify_inclusion(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    return one_proof(args, nargs, 1);
}

PyDoc_STRVAR(verify_inclusions_doc,
             "verify_inclusions(leaves: Sequence[bytes], indices: Sequence[int], tree_size: int,\n"
             "                  paths: Sequence[Sequence[bytes]], root: bytes) -> list[bool]\n\n"
             "verify_inclusion for many proofs of one tree, in one call.");

static PyObject *verify_inclusions(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 5) return PyErr_Format(PyExc_TypeError, "expected 5 arguments, got %zd", nargs);
    PyObject *leaves = seq_tuple(args[0]), *indices = NULL, *paths = NULL, *result = NULL;
    proof *ps = NULL;
    char *ok = NULL;
    Py_ssize_t n = 0, unpacked = 0, hashes = 0;
    span expected;
    EVP_MD_CTX *ctx = NULL;
    if (!leaves || !(indices = seq_tuple(args[1])) || !(paths = seq_tuple(args[3])) ||
        as_span(args[4], &expected) < 0)
        goto done;
    n = PyTuple_GET_SIZE(leaves);
    if (PyTuple_GET_SIZE(indices) != n || PyTuple_GET_SIZE(paths) != n) {
        unsupported("leaves, indices and paths differ in length");
        goto done;
    }
    ps = PyMem_New(proof, n ? n : 1);
    ok = PyMem_Malloc(n ? (size_t)n : 1);
    ctx = EVP_MD_CTX_new();
    if (!ps || !ok || !ctx) {
        PyErr_NoMemory();
        goto done;
    }
    for (; unpacked < n; unpacked++) {
        proof *p = &ps[unpacked];
        PyObject *leaf = PyTuple_GET_ITEM(leaves, unpacked), *index = PyTuple_GET_ITEM(indices, unpacked);
        if (unpack_proof(leaf, index, args[2], PyTuple_GET_ITEM(paths, unpacked), p) < 0) {
            Py_XDECREF(p->path);
            goto done;
        }
        hashes += p->len > 0 ? p->len : 0;
    }
    int failed = 0;
    span scratch[64], root;
    unsigned char out[HASH_SIZE];
    PyThreadState *ts = hashes >= GIL_RELEASE_MIN ? PyEval_SaveThread() : NULL;
    for (Py_ssize_t i = 0; !failed && i < n; i++) {
        int got = proof_root(ctx, &ps[i], scratch, out, &root);
        failed = got < 0;
        ok[i] = got > 0 && same(root, expected);
    }
    if (ts) PyEval_RestoreThread(ts);
    if (failed) {
        openssl_error();
        goto done;
    }
    if (!(result = PyList_New(n))) goto done;
    for (Py_ssize_t i = 0; i < n; i++) PyList_SET_ITEM(result, i, PyBool_FromLong(ok[i]));
done:
    for (Py_ssize_t i = 0; i < unpacked; i++) Py_DECREF(ps[i].path);
    EVP_MD_CTX_free(ctx);
    PyMem_Free(ok);
    PyMem_Free(ps);
    Py_XDECREF(paths);
    Py_XDECREF(indices);
    Py_XDECREF(leaves);
    return result;
}

/* --- module ------------------------------------------------------------------------- */

static PyMethodDef methods[] = {
    {"leaf_hashes", leaf_hashes, METH_O, leaf_hashes_doc},
    {"canonical_leaf_hashes", canonical_leaf_hashes, METH_O, canonical_leaf_hashes_doc},
    {"tree_levels", tree_levels, METH_O, tree_levels_doc},
    {"all_paths", all_paths, METH_O, all_paths_doc},
    {"root_from_path", (PyCFunction)(void (*)(void))root_from_path, METH_FASTCALL, root_from_path_doc},
    {"verify_inclusion", (PyCFunction)(void (*)(void))verify_inclusion, METH_FASTCALL, verify_inclusion_doc},
    {"verify_inclusions", (PyCFunction)(void (*)(void))verify_inclusions, METH_FASTCALL,
     verify_inclusions_doc},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "ledger.core._merkle",
    .m_doc = "Native RFC 9162 Merkle hot paths on OpenSSL SHA-256 (see ledger/core/merkle.py).",
    .m_size = -1, /* single-phase: the module keeps no per-interpreter state */
    .m_methods = methods,
};

PyMODINIT_FUNC PyInit__merkle(void) {
    if (!sha256_md && !(sha256_md = EVP_MD_fetch(NULL, "SHA256", NULL))) {
        PyErr_SetString(PyExc_ImportError, "OpenSSL has no SHA-256 (EVP_MD_fetch failed)");
        return NULL;
    }
    PyObject *m = PyModule_Create(&module);
    if (!m) return NULL;
    if (!Unsupported) {
        Unsupported = PyErr_NewExceptionWithDoc(
            "ledger.core._merkle.Unsupported",
            "Input outside the native fast path: the caller uses the Python reference instead.", NULL, NULL);
    }
    if (!Unsupported || PyModule_AddObjectRef(m, "Unsupported", Unsupported) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
