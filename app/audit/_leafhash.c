/* The hashing core of ``app.audit.fast_verify.leaves_of`` in C (optional: without it the same
 * leaves come from the Python code, slower).
 *
 * ``leaves(rows, keys, required_after, keyring_id)`` takes the raw rows ``(position, originator
 * id, version, topic, state)`` and answers ``(leaves, missing)``: each row's leaf hash, and the
 * indexes of the rows it leaves to Python (None in ``leaves``). It is deliberately narrower than
 * the Python fast path: it only accepts a row whose every part has the one plain shape the ledger
 * writes (32-hex-digit id, exact ints, a topic of ``[A-Za-z0-9._:]``, the time as
 * ``YYYY-MM-DDTHH:MM:SS[.ffffff]+00:00`` at the head of the state, a tag under one of ``keys`` or
 * no tag at or before ``required_after``), and for such a row computes byte for byte what the
 * Python code computes. Anything else, including a tag that does not match, is left to Python,
 * which gives the answer and every reason.
 *
 * Why C: with OpenSSL 3 each hashlib call costs about a microsecond of set-up, and a leaf takes
 * six of them; here the hash contexts are plain structs (OpenSSL's SHA-256 block functions, which
 * use the CPU's SHA instructions) and a row costs about its SHA-256 blocks.
 */
#define _GNU_SOURCE
#define PY_SSIZE_T_CLEAN
#define OPENSSL_SUPPRESS_DEPRECATED
#include <Python.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <string.h>

static const char TIME_PREFIX[] = "{\"timestamp\":{\"_type_\":\"datetime_iso\",\"_data_\":\"";
#define TIME_START ((Py_ssize_t)(sizeof(TIME_PREFIX) - 1))
static const char TIME_KEY[] = "\"timestamp\":";
#define TIME_KEY_LENGTH ((Py_ssize_t)(sizeof(TIME_KEY) - 1))
static const char TAG_HEAD[] = ",\"_auth\":\"";
#define TAG_LENGTH 93 /* ,"_auth":"<16 hex>:<64 hex>"} */
#define MAX_TOPIC 300
#define MAX_KEYS 64

static const char HEX[] = "0123456789abcdef";

typedef struct {
    char kid[16];
    SHA256_CTX inner; /* after the key xor ipad block (RFC 2104) */
    SHA256_CTX outer; /* after the key xor opad block */
    int retired;
    long long retired_at;
} Key;

static void hexify(const unsigned char *digest, char *out) {
    for (int i = 0; i < 32; i++) {
        out[2 * i] = HEX[digest[i] >> 4];
        out[2 * i + 1] = HEX[digest[i] & 15];
    }
}

static int canonical_text(PyObject *raw, char *out);

static int digits(const char *s, int n, int *value) {
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return 0;
        v = v * 10 + (s[i] - '0');
    }
    *value = v;
    return 1;
}

/* ``at`` (``length`` bytes) is YYYY-MM-DDTHH:MM:SS.ffffff+00:00 (32) or the same without the
 * fraction (25), a real date and time; ``out`` gets the 32-byte form. */
static int plain_time(const char *at, Py_ssize_t length, char *out) {
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int year, month, day, hour, minute, second, fraction;
    const char *zone;
    if (length == 32) {
        if (at[19] != '.' || !digits(at + 20, 6, &fraction)) return 0;
        zone = at + 26;
    } else if (length == 25) {
        zone = at + 19;
    } else {
        return 0;
    }
    if (memcmp(zone, "+00:00", 6) != 0) return 0;
    if (!digits(at, 4, &year) || at[4] != '-' || !digits(at + 5, 2, &month) || at[7] != '-'
        || !digits(at + 8, 2, &day) || at[10] != 'T' || !digits(at + 11, 2, &hour)
        || at[13] != ':' || !digits(at + 14, 2, &minute) || at[16] != ':'
        || !digits(at + 17, 2, &second)) return 0;
    if (year < 1 || month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59
        || second > 59) return 0;
    int limit = days[month - 1];
    if (month == 2 && year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)) limit = 29;
    if (day > limit) return 0;
    memcpy(out, at, 19);
    if (length == 32) {
        memcpy(out + 19, at + 19, 13);
    } else {
        memcpy(out + 19, ".000000+00:00", 13);
    }
    return 1;
}

static PyObject *uuid_type; /* uuid.UUID: PostgreSQL's ids arrive as these */

/* The canonical id (8-4-4-4-12 lower-case hex) of a 32-hex-digit str or of a ``uuid.UUID``. */
static int canonical(PyObject *raw, char *out) {
    PyObject *hex = NULL;
    if (Py_TYPE(raw) == (PyTypeObject *)uuid_type) {
        hex = PyObject_GetAttrString(raw, "hex");
        if (hex == NULL) {
            PyErr_Clear();
            return 0;
        }
        raw = hex;
    }
    int ok = canonical_text(raw, out);
    Py_XDECREF(hex);
    return ok;
}

static int canonical_text(PyObject *raw, char *out) {
    if (!PyUnicode_CheckExact(raw) || !PyUnicode_IS_ASCII(raw) || PyUnicode_GET_LENGTH(raw) != 32)
        return 0;
    const char *s = (const char *)PyUnicode_DATA(raw);
    int j = 0;
    for (int i = 0; i < 32; i++) {
        char c = s[i];
        if (c >= 'A' && c <= 'F') c = (char)(c - 'A' + 'a');
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return 0;
        if (i == 8 || i == 12 || i == 16 || i == 20) out[j++] = '-';
        out[j++] = c;
    }
    return 1;
}

static int plain_topic(PyObject *topic, const char **text, Py_ssize_t *length) {
    if (!PyUnicode_CheckExact(topic) || !PyUnicode_IS_ASCII(topic)) return 0;
    Py_ssize_t n = PyUnicode_GET_LENGTH(topic);
    if (n > MAX_TOPIC) return 0;
    const char *s = (const char *)PyUnicode_DATA(topic);
    for (Py_ssize_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
              || c == '.' || c == '_' || c == ':')) return 0;
    }
    *text = s;
    *length = n;
    return 1;
}

static int exact_int(PyObject *value, long long *out) {
    if (!PyLong_CheckExact(value)) return 0;
    int overflow = 0;
    long long v = PyLong_AsLongLongAndOverflow(value, &overflow);
    if (overflow || (v == -1 && PyErr_Occurred())) {
        PyErr_Clear();
        return 0;
    }
    *out = v;
    return 1;
}

/* The leaf of one row into ``leaf`` (1), or 0 where Python must decide. */
static int leaf_of(PyObject *row, const Key *keys, int nkeys, long long required_after,
                   const char *keyring_id, unsigned char *leaf) {
    if (!PyTuple_CheckExact(row) || PyTuple_GET_SIZE(row) != 5) return 0;
    long long position, version;
    char oid[36], at[32], whole_hex[64];
    const char *topic;
    Py_ssize_t topic_length;
    PyObject *state_obj = PyTuple_GET_ITEM(row, 4);
    if (!exact_int(PyTuple_GET_ITEM(row, 0), &position)
        || !canonical(PyTuple_GET_ITEM(row, 1), oid) || memcmp(oid, keyring_id, 36) == 0
        || !exact_int(PyTuple_GET_ITEM(row, 2), &version)
        || !plain_topic(PyTuple_GET_ITEM(row, 3), &topic, &topic_length)
        || !PyBytes_CheckExact(state_obj)) return 0;
    const char *state = PyBytes_AS_STRING(state_obj);
    Py_ssize_t size = PyBytes_GET_SIZE(state_obj);
    if (size < TIME_START || memcmp(state, TIME_PREFIX, TIME_START) != 0) return 0;
    if (memmem(state + 14, (size_t)(size - 14), TIME_KEY, TIME_KEY_LENGTH) != NULL) return 0;
    const char *end = memchr(state + TIME_START, '"', (size_t)(size - TIME_START));
    if (end == NULL || !plain_time(state + TIME_START, end - (state + TIME_START), at)) return 0;

    unsigned char digest[32];
    Py_ssize_t cut = size - TAG_LENGTH;
    if (cut >= 0 && memcmp(state + cut, TAG_HEAD, 10) == 0 && state[size - 2] == '"'
        && state[size - 1] == '}' && state[cut + 26] == ':') {
        const Key *key = NULL;
        for (int k = 0; k < nkeys; k++) {
            if (memcmp(keys[k].kid, state + cut + 10, 16) == 0) {
                key = &keys[k];
                break;
            }
        }
        if (key == NULL || (key->retired && position > key->retired_at)) return 0;
        SHA256_CTX body, whole, mac;
        char body_hex[64], message[160 + MAX_TOPIC], tag_hex[64];
        SHA256_Init(&body);
        SHA256_Update(&body, state, (size_t)cut);
        whole = body;
        SHA256_Update(&whole, state + cut, TAG_LENGTH);
        SHA256_Final(digest, &whole);
        hexify(digest, whole_hex);
        SHA256_Update(&body, "}", 1);
        SHA256_Final(digest, &body);
        hexify(digest, body_hex);
        int n = snprintf(message, sizeof message,
                         "{\"originator_id\":\"%.36s\",\"state_sha256\":\"%.64s\",\"topic\":"
                         "\"%.*s\",\"version\":%lld}",
                         oid, body_hex, (int)topic_length, topic, version);
        if (n < 0 || (size_t)n >= sizeof message) return 0;
        mac = key->inner;
        SHA256_Update(&mac, message, (size_t)n);
        SHA256_Final(digest, &mac);
        mac = key->outer;
        SHA256_Update(&mac, digest, 32);
        SHA256_Final(digest, &mac);
        hexify(digest, tag_hex);
        if (memcmp(tag_hex, state + cut + 27, 64) != 0) return 0;
    } else {
        if (position > required_after) return 0;
        SHA256((const unsigned char *)state, (size_t)size, digest);
        hexify(digest, whole_hex);
    }
    char text[256 + MAX_TOPIC];
    text[0] = '\0';
    int n = snprintf(text + 1, sizeof text - 1,
                     "{\"originator_id\":\"%.36s\",\"position\":%lld,\"recorded_at\":\"%.32s\","
                     "\"state_sha256\":\"%.64s\",\"topic\":\"%.*s\",\"version\":%lld}",
                     oid, position, at, whole_hex, (int)topic_length, topic, version);
    if (n < 0 || (size_t)n >= sizeof text - 1) return 0;
    SHA256((const unsigned char *)text, (size_t)n + 1, leaf);
    return 1;
}

static int load_keys(PyObject *mapping, Key *keys, int *nkeys) {
    PyObject *kid, *entry;
    Py_ssize_t pos = 0;
    *nkeys = 0;
    while (PyDict_Next(mapping, &pos, &kid, &entry)) {
        PyObject *secret, *retired;
        if (*nkeys >= MAX_KEYS) break; /* the rest are left to Python */
        if (!PyBytes_Check(kid) || PyBytes_GET_SIZE(kid) != 16 || !PyTuple_Check(entry)
            || !PyArg_ParseTuple(entry, "SO", &secret, &retired)) {
            PyErr_SetString(PyExc_TypeError, "keys: {16-byte id: (key bytes, retired at)}");
            return 0;
        }
        Key *key = &keys[*nkeys];
        memcpy(key->kid, PyBytes_AS_STRING(kid), 16);
        key->retired = retired != Py_None;
        key->retired_at = key->retired ? PyLong_AsLongLong(retired) : 0;
        if (key->retired && key->retired_at == -1 && PyErr_Occurred()) return 0;
        unsigned char block[64], pad[64];
        memset(block, 0, 64);
        Py_ssize_t length = PyBytes_GET_SIZE(secret);
        if (length > 64) {
            SHA256((const unsigned char *)PyBytes_AS_STRING(secret), (size_t)length, block);
        } else {
            memcpy(block, PyBytes_AS_STRING(secret), (size_t)length);
        }
        for (int i = 0; i < 64; i++) pad[i] = block[i] ^ 0x36;
        SHA256_Init(&key->inner);
        SHA256_Update(&key->inner, pad, 64);
        for (int i = 0; i < 64; i++) pad[i] = block[i] ^ 0x5C;
        SHA256_Init(&key->outer);
        SHA256_Update(&key->outer, pad, 64);
        (*nkeys)++;
    }
    return 1;
}

static PyObject *leaves(PyObject *Py_UNUSED(self), PyObject *args) {
    PyObject *rows, *mapping;
    long long required_after;
    const char *keyring_id;
    Py_ssize_t keyring_length;
    if (!PyArg_ParseTuple(args, "O!O!Ls#", &PyList_Type, &rows, &PyDict_Type, &mapping,
                          &required_after, &keyring_id, &keyring_length)) return NULL;
    if (keyring_length != 36) {
        PyErr_SetString(PyExc_ValueError, "keyring_id: a canonical 36-character id");
        return NULL;
    }
    Key keys[MAX_KEYS];
    int nkeys;
    if (!load_keys(mapping, keys, &nkeys)) return NULL;
    Py_ssize_t count = PyList_GET_SIZE(rows);
    PyObject *out = PyList_New(count);
    PyObject *missing = PyList_New(0);
    if (out == NULL || missing == NULL) goto fail;
    unsigned char leaf[32];
    for (Py_ssize_t i = 0; i < count; i++) {
        if (leaf_of(PyList_GET_ITEM(rows, i), keys, nkeys, required_after, keyring_id, leaf)) {
            PyObject *hashed = PyBytes_FromStringAndSize((const char *)leaf, 32);
            if (hashed == NULL) goto fail;
            PyList_SET_ITEM(out, i, hashed);
        } else {
            Py_INCREF(Py_None);
            PyList_SET_ITEM(out, i, Py_None);
            PyObject *index = PyLong_FromSsize_t(i);
            if (index == NULL || PyList_Append(missing, index) < 0) {
                Py_XDECREF(index);
                goto fail;
            }
            Py_DECREF(index);
        }
    }
    return Py_BuildValue("(NN)", out, missing);
fail:
    Py_XDECREF(out);
    Py_XDECREF(missing);
    return NULL;
}

/* The RFC 6962 root of a perfect tree over a power of two of 32-byte leaf hashes, joined. */
static PyObject *perfect_root(PyObject *Py_UNUSED(self), PyObject *arg) {
    if (!PyBytes_CheckExact(arg)) {
        PyErr_SetString(PyExc_TypeError, "perfect_root: bytes");
        return NULL;
    }
    Py_ssize_t size = PyBytes_GET_SIZE(arg), count = size / 32;
    if (size == 0 || size % 32 != 0 || (count & (count - 1)) != 0) {
        PyErr_SetString(PyExc_ValueError, "perfect_root: a power of two of 32-byte hashes");
        return NULL;
    }
    if (count == 1) {
        Py_INCREF(arg);
        return arg;
    }
    unsigned char *level = PyMem_Malloc((size_t)size / 2);
    if (level == NULL) return PyErr_NoMemory();
    const unsigned char *below = (const unsigned char *)PyBytes_AS_STRING(arg);
    unsigned char node[65];
    node[0] = 0x01;
    while (count > 1) {
        for (Py_ssize_t i = 0; i < count / 2; i++) {
            memcpy(node + 1, below + 64 * i, 64);
            SHA256(node, 65, level + 32 * i);
        }
        below = level;
        count /= 2;
    }
    PyObject *root = PyBytes_FromStringAndSize((const char *)level, 32);
    PyMem_Free(level);
    return root;
}

static PyMethodDef methods[] = {
    {"perfect_root", perfect_root, METH_O,
     "perfect_root(joined) -> the RFC 6962 root of a power of two of 32-byte leaf hashes"},
    {"leaves", leaves, METH_VARARGS,
     "leaves(rows, keys, required_after, keyring_id) -> (leaf hashes or None, indexes of None)"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_leafhash", NULL, -1, methods,
                                    NULL, NULL, NULL, NULL};

PyMODINIT_FUNC PyInit__leafhash(void) {
    PyObject *uuid = PyImport_ImportModule("uuid");
    if (uuid == NULL) return NULL;
    uuid_type = PyObject_GetAttrString(uuid, "UUID");
    Py_DECREF(uuid);
    if (uuid_type == NULL) return NULL;
    return PyModule_Create(&module);
}
