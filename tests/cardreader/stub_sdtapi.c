/* A stand-in for a reader vendor's sdtapi library, compiled by the tests (tests/cardreader/conftest.py)
 * so that the ctypes binding in agent/cardreader/vendor_library.py runs against real C calls.
 *
 * It exports the five SDT_* calls the binding uses, with the vendor's signatures, and answers like
 * a reader: 0x90 success, 0x9F card found, 0x80 no card, 0x81 select failed, 0x41 read failed, and
 * the library's own 0x01 (port not open / not valid). It checks what it is given: the port must be
 * the one opened, `iIfOpen` must be 0 (use the opened port), the pointers must not be NULL and the
 * caller's buffer lengths must be large enough; any violation returns 0x24 (unrecognised error), so
 * a wrong argument type or order in the binding fails the tests.
 *
 * The stub_* functions are the test's hands: place or lift a card, make the next call fail, unplug.
 */
#include <string.h>

#define OK 0x90
#define FOUND 0x9F
#define NO_CARD 0x80
#define SELECT_FAILED 0x81
#define READ_FAILED 0x41
#define PORT_ERROR 0x01
#define BAD_ARGUMENT 0x24

static int open_port = 0;          /* 0: no port open */
static int usb_port = 1001;        /* where "the reader" is plugged in */
static int unplugged = 0;
static int card_present = 0;
static unsigned char card_text[256];
static int next_status = 0;        /* non-zero: the next call returns it */
static int read_status = 0;        /* non-zero: the next read returns it */
static int reads = 0;
static unsigned char *last_photo = 0;
static unsigned int last_photo_size = 0;

static int check_port(int port, int if_open) {
    if (unplugged || open_port == 0 || port != open_port) return PORT_ERROR;
    if (if_open != 0) return BAD_ARGUMENT;
    return 0;
}

int SDT_OpenPort(int port) {
    if (unplugged || port != usb_port) return PORT_ERROR;
    open_port = port;
    return OK;
}

int SDT_ClosePort(int port) {
    if (port != open_port) return PORT_ERROR;
    open_port = 0;
    return OK;
}

int SDT_StartFindIDCard(int port, unsigned char *iin, int if_open) {
    int status = check_port(port, if_open);
    if (status) return status;
    if (iin == 0) return BAD_ARGUMENT;
    if (next_status) { status = next_status; next_status = 0; return status; }
    memset(iin, 0, 4);
    return card_present ? FOUND : NO_CARD;
}

int SDT_SelectIDCard(int port, unsigned char *sn, int if_open) {
    int status = check_port(port, if_open);
    if (status) return status;
    if (sn == 0) return BAD_ARGUMENT;
    memset(sn, 0, 8);
    return card_present ? OK : SELECT_FAILED;
}

int SDT_ReadBaseMsg(int port, unsigned char *text, unsigned int *text_len, unsigned char *photo,
                    unsigned int *photo_len, int if_open) {
    int status = check_port(port, if_open);
    if (status) return status;
    if (text == 0 || text_len == 0 || photo == 0 || photo_len == 0) return BAD_ARGUMENT;
    if (*text_len < 256 || *photo_len < 1024) return BAD_ARGUMENT;
    if (read_status) { status = read_status; read_status = 0; card_present = 0; return status; }
    if (!card_present) return READ_FAILED;
    memcpy(text, card_text, 256);
    *text_len = 256;
    for (unsigned int i = 0; i < 1024; i++) photo[i] = (unsigned char)(i * 7 + 1);
    *photo_len = 1024;
    last_photo = photo;
    last_photo_size = 1024;
    reads++;
    return OK;
}

/* The test's hands. */
void stub_reset(void) {
    open_port = 0; usb_port = 1001; unplugged = 0; card_present = 0; next_status = 0; read_status = 0;
    reads = 0; last_photo = 0; last_photo_size = 0;
}
void stub_plug_at(int port) { usb_port = port; }
void stub_place_card(const unsigned char *text) { memcpy(card_text, text, 256); card_present = 1; }
void stub_lift_card(void) { card_present = 0; }
void stub_fail_next(int status) { next_status = status; }
void stub_fail_next_read(int status) { read_status = status; }
void stub_unplug(void) { unplugged = 1; }
int stub_reads(void) { return reads; }
int stub_open_port(void) { return open_port; }
/* 1 when the photo buffer the last read filled holds only zeros now (the binding drops the photo). */
int stub_photo_wiped(void) {
    if (last_photo == 0) return -1;
    for (unsigned int i = 0; i < last_photo_size; i++) if (last_photo[i]) return 0;
    return 1;
}
