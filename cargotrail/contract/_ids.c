/* Native batch of reading ids on OpenSSL's SHA-256: cargotrail.contract._ids.
 *
 * An optional accelerator: cargotrail/contract/ids.py holds the pure-Python
 * reference (reading_ids_py) and calls this only when the module imports.
 * reading_ids(devices, seqs) returns exactly
 *     [sha256(f"reading\x1f{d}\x1f{s}".encode()).hexdigest()[:32] for d, s in zip(devices, seqs)]
 * for lists of exact str and exact int (int64). Anything else (str subclasses, bools, ints
 * beyond 64 bits, other sequences) raises `Unsupported` before any work, and the Python side
 * takes the reference for that batch, so results never depend on which path ran.
 * text_ids(texts) returns exactly [sha256(t.encode()).hexdigest()[:32] for t in texts] for a list
 * of exact str (e.g. the geofence tracker's event ids, whose texts Python spells out), under the
 * same Unsupported rule; text_ids_py is its reference.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <openssl/evp.h>
#include <string.h>

#define ID_CHARS 32 /* hex characters kept: 128 bits of the digest */
#define PREFIX "reading\x1f"
#define PREFIX_LEN (sizeof(PREFIX) - 1)

static EVP_MD *sha256_md;     /* fetched once per process, read-only afterwards */
static PyObject *Unsupported; /* "use the Python reference for this input" */

static int unsupported(const char *why) {
    PyErr_SetString(Unsupported, why);
    return -1;
}

/* Check every item before hashing any, so that Unsupported leaves no partial work; the seqs
 * go to `out`. */
static int check_items(PyObject *devices, PyObject *seqs, Py_ssize_t n, long long *out) {
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *d = PyList_GET_ITEM(devices, i), *s = PyList_GET_ITEM(seqs, i);
        if (!PyUnicode_CheckExact(d)) return unsupported("device ids must be str");
        if (!PyLong_CheckExact(s)) return unsupported("seqs must be int");
        int overflow = 0;
        out[i] = PyLong_AsLongLongAndOverflow(s, &overflow);
        if (overflow) return unsupported("seq beyond 64 bits");
        if (out[i] == -1 && PyErr_Occurred()) return -1;
    }
    return 0;
}

/* "\x1f" then `v` in decimal as str(int) spells it, into `buf` (room for 22); returns the length. */
static int unit_sep_decimal(long long v, char *buf) {
    char digits[20];
    int n = 0, len = 0;
    unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
    do {
        digits[n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    buf[len++] = '\x1f';
    if (v < 0) buf[len++] = '-';
    while (n) buf[len++] = digits[--n];
    return len;
}

/* The id of one reading into `out` (ID_CHARS ASCII characters); 0 on an OpenSSL failure. */
static int one_id(EVP_MD_CTX *ctx, const char *dev, Py_ssize_t dev_len, long long seq, Py_UCS1 *out) {
    static const char hex[] = "0123456789abcdef";
    char tail[24];
    int tail_len = unit_sep_decimal(seq, tail);
    unsigned char digest[EVP_MAX_MD_SIZE];
    if (!(EVP_DigestInit_ex2(ctx, sha256_md, NULL) && EVP_DigestUpdate(ctx, PREFIX, PREFIX_LEN) &&
          EVP_DigestUpdate(ctx, dev, (size_t)dev_len) && EVP_DigestUpdate(ctx, tail, (size_t)tail_len) &&
          EVP_DigestFinal_ex(ctx, digest, NULL)))
        return 0;
    for (int k = 0; k < ID_CHARS / 2; k++) {
        out[2 * k] = (Py_UCS1)hex[digest[k] >> 4];
        out[2 * k + 1] = (Py_UCS1)hex[digest[k] & 15];
    }
    return 1;
}

/* The first ID_CHARS hex characters of SHA-256(`data`) into `out`; 0 on an OpenSSL failure. */
static int text_id(EVP_MD_CTX *ctx, const char *data, Py_ssize_t len, Py_UCS1 *out) {
    static const char hex[] = "0123456789abcdef";
    unsigned char digest[EVP_MAX_MD_SIZE];
    if (!(EVP_DigestInit_ex2(ctx, sha256_md, NULL) && EVP_DigestUpdate(ctx, data, (size_t)len) &&
          EVP_DigestFinal_ex(ctx, digest, NULL)))
        return 0;
    for (int k = 0; k < ID_CHARS / 2; k++) {
        out[2 * k] = (Py_UCS1)hex[digest[k] >> 4];
        out[2 * k + 1] = (Py_UCS1)hex[digest[k] & 15];
    }
    return 1;
}

PyDoc_STRVAR(text_ids_doc,
             "text_ids(texts: list[str], /) -> list[str]\n\n"
             "sha256(t.encode()).hexdigest()[:32] of each text.");

static PyObject *text_ids(PyObject *self, PyObject *texts) {
    if (!PyList_CheckExact(texts)) {
        unsupported("expected a list");
        return NULL;
    }
    Py_ssize_t n = PyList_GET_SIZE(texts);
    for (Py_ssize_t i = 0; i < n; i++)
        if (!PyUnicode_CheckExact(PyList_GET_ITEM(texts, i))) {
            unsupported("texts must be str");
            return NULL;
        }
    PyObject *result = PyList_New(n);
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    if (!result || !ctx) {
        Py_XDECREF(result);
        EVP_MD_CTX_free(ctx);
        return PyErr_NoMemory();
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        Py_ssize_t len;
        /* UTF-8 as str.encode() gives it; raises (as encode does) on lone surrogates. */
        const char *data = PyUnicode_AsUTF8AndSize(PyList_GET_ITEM(texts, i), &len);
        PyObject *id = data ? PyUnicode_New(ID_CHARS, 127) : NULL;
        if (!id) goto fail;
        if (!text_id(ctx, data, len, PyUnicode_1BYTE_DATA(id))) {
            Py_DECREF(id);
            PyErr_SetString(PyExc_RuntimeError, "OpenSSL SHA-256 failed");
            goto fail;
        }
        PyList_SET_ITEM(result, i, id);
    }
    EVP_MD_CTX_free(ctx);
    return result;
fail:
    EVP_MD_CTX_free(ctx);
    Py_DECREF(result); /* slots not yet set are NULL, which list dealloc skips */
    return NULL;
}

PyDoc_STRVAR(reading_ids_doc,
             "reading_ids(devices: list[str], seqs: list[int], /) -> list[str]\n\n"
             "cargotrail.contract.ids.reading_id of each (device, seq) pair.");

static PyObject *reading_ids(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 2) {
        PyErr_SetString(PyExc_TypeError, "reading_ids expects (devices, seqs)");
        return NULL;
    }
    PyObject *devices = args[0], *seqs = args[1];
    if (!PyList_CheckExact(devices) || !PyList_CheckExact(seqs)) {
        unsupported("expected two lists");
        return NULL;
    }
    Py_ssize_t n = PyList_GET_SIZE(devices);
    if (PyList_GET_SIZE(seqs) != n) {
        PyErr_SetString(PyExc_ValueError, "reading_ids: devices and seqs differ in length");
        return NULL;
    }
    long long *values = PyMem_New(long long, n ? n : 1);
    if (!values) return PyErr_NoMemory();
    if (check_items(devices, seqs, n, values) < 0) {
        PyMem_Free(values);
        return NULL;
    }
    PyObject *result = PyList_New(n);
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    if (!result || !ctx) {
        Py_XDECREF(result);
        EVP_MD_CTX_free(ctx);
        PyMem_Free(values);
        return PyErr_NoMemory();
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        Py_ssize_t dev_len;
        /* UTF-8 as str.encode() gives it; raises (as encode does) on lone surrogates. */
        const char *dev = PyUnicode_AsUTF8AndSize(PyList_GET_ITEM(devices, i), &dev_len);
        PyObject *id = dev ? PyUnicode_New(ID_CHARS, 127) : NULL;
        if (!id) goto fail;
        if (!one_id(ctx, dev, dev_len, values[i], PyUnicode_1BYTE_DATA(id))) {
            Py_DECREF(id);
            PyErr_SetString(PyExc_RuntimeError, "OpenSSL SHA-256 failed");
            goto fail;
        }
        PyList_SET_ITEM(result, i, id);
    }
    EVP_MD_CTX_free(ctx);
    PyMem_Free(values);
    return result;
fail:
    EVP_MD_CTX_free(ctx);
    PyMem_Free(values);
    Py_DECREF(result); /* slots not yet set are NULL, which list dealloc skips */
    return NULL;
}

static PyMethodDef methods[] = {
    {"reading_ids", (PyCFunction)(void (*)(void))reading_ids, METH_FASTCALL, reading_ids_doc},
    {"text_ids", (PyCFunction)text_ids, METH_O, text_ids_doc},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "cargotrail.contract._ids",
    .m_doc = "Native batches of deterministic ids on OpenSSL SHA-256 (see cargotrail/contract/ids.py).",
    .m_size = -1, /* single-phase: the module keeps no per-interpreter state */
    .m_methods = methods,
};

PyMODINIT_FUNC PyInit__ids(void) {
    if (!sha256_md && !(sha256_md = EVP_MD_fetch(NULL, "SHA256", NULL))) {
        PyErr_SetString(PyExc_ImportError, "OpenSSL has no SHA-256 (EVP_MD_fetch failed)");
        return NULL;
    }
    PyObject *m = PyModule_Create(&module);
    if (!m) return NULL;
    if (!Unsupported) {
        Unsupported = PyErr_NewExceptionWithDoc(
            "cargotrail.contract._ids.Unsupported",
            "Input outside the native fast path: the caller uses the Python reference instead.", NULL, NULL);
    }
    if (!Unsupported || PyModule_AddObjectRef(m, "Unsupported", Unsupported) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
