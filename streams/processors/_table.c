/* Native column reader for streams.processors.table: streams.processors._table.
 *
 * An optional accelerator: table.py holds the pure-Python reference (read_table_py) and
 * calls this only when the module imports. read_columns reads every field the processors
 * need from each reading in one pass, while the record is in the CPU's caches (the Python
 * reference reads one field per pass). It fills the caller's numpy columns with exactly
 * what the reference computes, and raises `Unsupported` before returning for any value
 * outside its fast path (a coordinate or sensor value that is not a float, a seq that is
 * not an int of 64 bits); the Python side then takes the reference for the whole batch, so
 * results never depend on which path ran. Device times that are not exact UTC datetimes go
 * through datetime.timestamp itself.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <datetime.h>
#include <structmember.h>

#include <math.h>
#include <stdint.h>
#include <string.h>

static PyObject *Unsupported; /* "use the Python reference for this input" */
static PyObject *timestamp;   /* datetime.datetime.timestamp, for the times outside the fast path */
static PyObject *name_ts, *name_lon, *name_lat, *name_temp, *name_shock, *name_door, *name_seq, *name_device,
    *name_container;

enum { TS, LON, LAT, TEMP, SHOCK, SEQ, DEVICE, PLAN, DOOR, NCOLS };
static const char *const col_names[NCOLS] = {"ts", "lon", "lat", "temp", "shock", "seq", "device", "plan", "door"};

static int unsupported(const char *why) {
    PyErr_SetString(Unsupported, why);
    return -1;
}

/* days from 0001-01-01 (day 1) to the given date, as datetime.date.toordinal counts them */
static long long ordinal(int y, int m, int d) {
    static const int before_month[13] = {0, 0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334};
    long long p = y - 1;
    long long days = p * 365 + p / 4 - p / 100 + p / 400 + before_month[m] + d;
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return days + (m > 2 && leap);
}

#define EPOCH_ORDINAL 719163LL            /* date(1970, 1, 1).toordinal() */
#define EXACT_US (1LL << 53)             /* microsecond counts a double holds exactly */

/* datetime.timestamp(t): computed here for exact datetimes in UTC within about 285 years of
 * 1970 (as an exact microsecond count divided once, as CPython divides it); asked of
 * datetime.timestamp itself otherwise. -1 with an exception set on failure. */
static int time_of(PyObject *t, double *out) {
    if (PyDateTime_CheckExact(t) && PyDateTime_DATE_GET_TZINFO(t) == PyDateTime_TimeZone_UTC) {
        long long days = ordinal(PyDateTime_GET_YEAR(t), PyDateTime_GET_MONTH(t), PyDateTime_GET_DAY(t)) -
                         EPOCH_ORDINAL;
        long long secs = days * 86400 + PyDateTime_DATE_GET_HOUR(t) * 3600LL +
                         PyDateTime_DATE_GET_MINUTE(t) * 60LL + PyDateTime_DATE_GET_SECOND(t);
        long long us = secs * 1000000LL + PyDateTime_DATE_GET_MICROSECOND(t);
        if (us > -EXACT_US && us < EXACT_US) {
            *out = (double)us / 1e6;
            return 0;
        }
    }
    PyObject *v = PyObject_CallOneArg(timestamp, t);
    if (!v) return -1;
    *out = PyFloat_AsDouble(v);
    Py_DECREF(v);
    return (*out == -1.0 && PyErr_Occurred()) ? -1 : 0;
}

/* A float field: exact float, or None as NaN where `optional`. */
static int float_of(PyObject *v, int optional, double *out) {
    if (PyFloat_CheckExact(v)) {
        *out = PyFloat_AS_DOUBLE(v);
        return 0;
    }
    if (optional && v == Py_None) {
        *out = NAN;
        return 0;
    }
    return unsupported("a coordinate or sensor value is not a float");
}

/* `code` of `key` in `codes` (a dict of int values), -1 when absent. */
static int code_of(PyObject *codes, PyObject *key, int64_t *out) {
    PyObject *c = PyDict_GetItemWithError(codes, key); /* borrowed */
    if (!c) {
        *out = -1;
        return PyErr_Occurred() ? -1 : 0;
    }
    long long v = PyLong_AsLongLong(c);
    if (v == -1 && PyErr_Occurred()) return -1;
    *out = v;
    return 0;
}

#define NFIELDS 9

/* Where a type keeps the fields read here, when plain attribute access reads them from slots
 * (msgspec Structs do): then a field is read at its offset, which is what PyObject_GetAttr
 * would find, without the per-attribute lookup. */
typedef struct {
    PyTypeObject *type; /* NULL: read every field with PyObject_GetAttr */
    Py_ssize_t offset[NFIELDS];
} layout;

static void find_layout(PyTypeObject *tp, PyObject *const *names, layout *out) {
    out->type = NULL;
    if (tp->tp_getattro != PyObject_GenericGetAttr) return;
    for (int k = 0; k < NFIELDS; k++) {
        PyObject *d = PyObject_GetAttr((PyObject *)tp, names[k]); /* the descriptor itself */
        if (!d) {
            PyErr_Clear();
            return;
        }
        int slot = Py_IS_TYPE(d, &PyMemberDescr_Type) &&
                   ((PyMemberDescrObject *)d)->d_member->type == T_OBJECT_EX &&
                   !(((PyMemberDescrObject *)d)->d_member->flags & READ_RESTRICTED) &&
                   PyType_IsSubtype(tp, PyDescr_TYPE(d));
        if (slot) out->offset[k] = ((PyMemberDescrObject *)d)->d_member->offset;
        Py_DECREF(d);
        if (!slot) return;
    }
    out->type = tp;
}

static int one_reading(PyObject *r, Py_ssize_t i, PyObject *device_codes, PyObject *plan_codes, char **cols,
                       PyObject *devices, PyObject *containers, const layout *lay) {
    PyObject *v[NFIELDS] = {NULL};
    PyObject *names[NFIELDS] = {name_ts,  name_lon,  name_lat,    name_temp,     name_shock,
                                name_door, name_seq, name_device, name_container};
    int rc = -1;
    for (int k = 0; k < NFIELDS; k++) {
        /* A new reference either way: timestamp() on an odd time runs Python code. */
        PyObject *slot = Py_IS_TYPE(r, lay->type) ? *(PyObject **)((char *)r + lay->offset[k]) : NULL;
        if (!(v[k] = slot ? Py_NewRef(slot) : PyObject_GetAttr(r, names[k]))) goto done;
    }
    if (time_of(v[0], (double *)cols[TS] + i) < 0 || float_of(v[1], 0, (double *)cols[LON] + i) < 0 ||
        float_of(v[2], 0, (double *)cols[LAT] + i) < 0 || float_of(v[3], 1, (double *)cols[TEMP] + i) < 0 ||
        float_of(v[4], 1, (double *)cols[SHOCK] + i) < 0)
        goto done;
    ((unsigned char *)cols[DOOR])[i] = v[5] == Py_True;
    if (!PyLong_CheckExact(v[6])) {
        unsupported("a seq is not an int");
        goto done;
    }
    int overflow = 0;
    long long seq = PyLong_AsLongLongAndOverflow(v[6], &overflow);
    if (overflow) {
        unsupported("a seq is beyond 64 bits");
        goto done;
    }
    if (seq == -1 && PyErr_Occurred()) goto done;
    ((int64_t *)cols[SEQ])[i] = seq;
    if (code_of(device_codes, v[7], (int64_t *)cols[DEVICE] + i) < 0 ||
        code_of(plan_codes, v[8], (int64_t *)cols[PLAN] + i) < 0)
        goto done;
    PyList_SET_ITEM(devices, i, Py_NewRef(v[7]));
    PyList_SET_ITEM(containers, i, Py_NewRef(v[8]));
    rc = 0;
done:
    for (int k = 0; k < NFIELDS; k++) Py_XDECREF(v[k]);
    return rc;
}

/* The caller's column `obj`: a writable C-contiguous buffer of n items of `itemsize` bytes
 * whose format is one of `formats`. */
static int column(PyObject *obj, Py_ssize_t n, Py_ssize_t itemsize, const char *formats, const char *name,
                  Py_buffer *view) {
    if (PyObject_GetBuffer(obj, view, PyBUF_WRITABLE | PyBUF_FORMAT | PyBUF_C_CONTIGUOUS) < 0) return -1;
    const char *f = view->format ? view->format : "B";
    if (f[0] == '<' || f[0] == '=' || f[0] == '@') f++;
    if (view->itemsize != itemsize || view->len != n * itemsize || strlen(f) != 1 || !strchr(formats, f[0])) {
        PyBuffer_Release(view);
        PyErr_Format(PyExc_ValueError, "read_columns: column %s has the wrong type or length", name);
        return -1;
    }
    return 0;
}

PyDoc_STRVAR(read_columns_doc,
             "read_columns(readings, device_codes, plan_codes, ts, lon, lat, temp, shock, seq, device, plan,\n"
             "             door, /) -> (device_ids, container_ids)\n\n"
             "Fill the numpy columns (float64: ts .. shock; int64: seq, device, plan; bool: door) from\n"
             "the list `readings`, as streams.processors.table.read_table_py reads them; device and plan\n"
             "are the codes in the dicts `device_codes` and `plan_codes`, -1 where absent.");

static PyObject *read_columns(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 3 + NCOLS) {
        PyErr_SetString(PyExc_TypeError, "read_columns expects 12 arguments");
        return NULL;
    }
    PyObject *readings = args[0], *device_codes = args[1], *plan_codes = args[2];
    if (!PyList_CheckExact(readings) || !PyDict_CheckExact(device_codes) || !PyDict_CheckExact(plan_codes)) {
        unsupported("expected a list and two dicts");
        return NULL;
    }
    Py_ssize_t n = PyList_GET_SIZE(readings);
    Py_buffer views[NCOLS];
    char *cols[NCOLS];
    int got = 0;
    PyObject *devices = NULL, *containers = NULL, *result = NULL;
    for (; got < NCOLS; got++) {
        int is_float = got <= SHOCK, is_bool = got == DOOR;
        const char *formats = is_float ? "d" : is_bool ? "?" : "lq";
        if (column(args[3 + got], n, is_bool ? 1 : 8, formats, col_names[got], &views[got]) < 0) goto done;
        cols[got] = views[got].buf;
    }
    if (!(devices = PyList_New(n)) || !(containers = PyList_New(n))) goto done;
    layout lay = {NULL, {0}};
    PyObject *names[NFIELDS] = {name_ts,  name_lon,  name_lat,    name_temp,     name_shock,
                                name_door, name_seq, name_device, name_container};
    if (n) find_layout(Py_TYPE(PyList_GET_ITEM(readings, 0)), names, &lay);
    for (Py_ssize_t i = 0; i < n && i < PyList_GET_SIZE(readings); i++) {
        /* Hold the reading: timestamp() on an odd time runs Python code, which could empty the list. */
        PyObject *r = Py_NewRef(PyList_GET_ITEM(readings, i));
        int rc = one_reading(r, i, device_codes, plan_codes, cols, devices, containers, &lay);
        Py_DECREF(r);
        if (rc < 0) goto done;
    }
    if (PyList_GET_SIZE(readings) != n) {
        unsupported("the list of readings changed while it was read");
        goto done;
    }
    result = PyTuple_Pack(2, devices, containers);
done:
    for (int k = 0; k < got; k++) PyBuffer_Release(&views[k]);
    Py_XDECREF(devices); /* slots never set are NULL, which list dealloc skips */
    Py_XDECREF(containers);
    return result;
}

static PyMethodDef methods[] = {
    {"read_columns", (PyCFunction)(void (*)(void))read_columns, METH_FASTCALL, read_columns_doc},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "streams.processors._table",
    .m_doc = "Native one-pass column reader for readings (see streams/processors/table.py).",
    .m_size = -1, /* single-phase: the module keeps no per-interpreter state */
    .m_methods = methods,
};

static PyObject *intern(const char *s) { return PyUnicode_InternFromString(s); }

PyMODINIT_FUNC PyInit__table(void) {
    PyDateTime_IMPORT;
    if (!PyDateTimeAPI) return NULL;
    if (!timestamp && !(timestamp = PyObject_GetAttrString((PyObject *)PyDateTimeAPI->DateTimeType, "timestamp")))
        return NULL;
    if (!name_ts && !((name_ts = intern("ts")) && (name_lon = intern("lon")) && (name_lat = intern("lat")) &&
                      (name_temp = intern("temperature_c")) && (name_shock = intern("shock_g")) &&
                      (name_door = intern("door_open")) && (name_seq = intern("seq")) &&
                      (name_device = intern("device_id")) && (name_container = intern("container_id"))))
        return NULL;
    PyObject *m = PyModule_Create(&module);
    if (!m) return NULL;
    if (!Unsupported) {
        Unsupported = PyErr_NewExceptionWithDoc(
            "streams.processors._table.Unsupported",
            "Input outside the native fast path: the caller uses the Python reference instead.", NULL, NULL);
    }
    if (!Unsupported || PyModule_AddObjectRef(m, "Unsupported", Unsupported) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
