#include "descent_jpeg.h"
#include <setjmp.h>
#include <string.h>

// libjpeg-turbo's jpeglib.h, JPEG_LIB_VERSION 62, LP64: sizeof(struct jpeg_decompress_struct) = 632,
// sizeof(struct jpeg_error_mgr) = 168; the offsets of the fields used here.
enum {
    DEC_SIZE = 632, ERR_SIZE = 168,
    OFF_ERR = 0, OFF_IMAGE_WIDTH = 48, OFF_IMAGE_HEIGHT = 52, OFF_NUM_COMPONENTS = 56, OFF_JPEG_COLOR_SPACE = 60,
    OFF_OUT_COLOR_SPACE = 64, OFF_OUTPUT_WIDTH = 136, OFF_OUTPUT_HEIGHT = 140, OFF_OUTPUT_COMPONENTS = 148,
    OFF_OUTPUT_SCANLINE = 168,
    ERR_OFF_ERROR_EXIT = 0, ERR_OFF_EMIT_MESSAGE = 8, ERR_OFF_FORMAT_MESSAGE = 24,
    JCS_GRAYSCALE = 1, JCS_RGB = 2, JCS_YCbCr = 3, JPEG_HEADER_OK = 1, MSG_MAX = 200
};

typedef void *(*std_error_fn)(void *err);
typedef void (*create_fn)(void *cinfo, int version, size_t size);
typedef void (*mem_src_fn)(void *cinfo, const unsigned char *data, unsigned long size);
typedef int (*read_header_fn)(void *cinfo, int require_image);
typedef int (*start_fn)(void *cinfo);
typedef unsigned int (*read_scanlines_fn)(void *cinfo, unsigned char **rows, unsigned int max_lines);
typedef int (*finish_fn)(void *cinfo);
typedef void (*destroy_fn)(void *cinfo);
typedef void (*format_message_fn)(void *cinfo, char *buffer);

/// The error manager, followed by where to jump and the message.
typedef struct {
    _Alignas(16) unsigned char mgr[ERR_SIZE];
    jmp_buf jump;
    char message[MSG_MAX];
} error_state;

typedef struct {
    _Alignas(16) unsigned char cinfo[DEC_SIZE];
    error_state err;
} decoder;

#define FIELD(base, off, type) (*(type *)((unsigned char *)(base) + (off)))

static void on_error(void *cinfo) {
    error_state *e = FIELD(cinfo, OFF_ERR, error_state *);
    FIELD(e->mgr, ERR_OFF_FORMAT_MESSAGE, format_message_fn)(cinfo, e->message);
    longjmp(e->jump, 1);
}

/// Warnings (corrupt data libjpeg can go past, as PIL does) are not printed, except that data ending
/// early is an error, as PIL's "image file is truncated".
static void on_message(void *cinfo, int level) {
    if (level >= 0) return;
    error_state *e = FIELD(cinfo, OFF_ERR, error_state *);
    char text[MSG_MAX];
    FIELD(e->mgr, ERR_OFF_FORMAT_MESSAGE, format_message_fn)(cinfo, text);
    if (strstr(text, "Premature end of JPEG file")) {
        strcpy(e->message, "the image data ends early (the file is truncated)");
        longjmp(e->jump, 1);
    }
}

int descent_jpeg_supported(void) { return sizeof(void *) == 8 && sizeof(size_t) == 8; }

/// Sets up `d` and reads the header; the caller has called setjmp on d->err.jump.
static void begin(const descent_jpeg_api *api, decoder *d, const unsigned char *data, unsigned long size) {
    ((std_error_fn)api->std_error)(d->err.mgr);
    FIELD(d->err.mgr, ERR_OFF_ERROR_EXIT, void *) = (void *)on_error;
    FIELD(d->err.mgr, ERR_OFF_EMIT_MESSAGE, void *) = (void *)on_message;
    FIELD(d->cinfo, OFF_ERR, void *) = &d->err;   // before jpeg_CreateDecompress, which keeps it
    ((create_fn)api->create_decompress)(d->cinfo, 62, DEC_SIZE);
    ((mem_src_fn)api->mem_src)(d->cinfo, data, size);
    if (((read_header_fn)api->read_header)(d->cinfo, 1) != JPEG_HEADER_OK) {
        strcpy(d->err.message, "no image in the file");
        longjmp(d->err.jump, 1);
    }
    int space = FIELD(d->cinfo, OFF_JPEG_COLOR_SPACE, int);
    if (space != JCS_GRAYSCALE && space != JCS_RGB && space != JCS_YCbCr) {
        strcpy(d->err.message, "a CMYK or YCCK JPEG, which Descent does not decode");
        longjmp(d->err.jump, 1);
    }
    FIELD(d->cinfo, OFF_OUT_COLOR_SPACE, int) = space == JCS_GRAYSCALE ? JCS_GRAYSCALE : JCS_RGB;
}

int descent_jpeg_info(const descent_jpeg_api *api, const unsigned char *data, unsigned long size,
                      int *width, int *height, int *channels, char *message) {
    decoder d;
    memset(&d, 0, sizeof d);
    if (setjmp(d.err.jump)) {   // jpeg_destroy is safe on the zeroed struct too, if creating it failed
        memcpy(message, d.err.message, MSG_MAX);
        message[MSG_MAX - 1] = 0;
        ((destroy_fn)api->destroy_decompress)(d.cinfo);
        return -1;
    }
    begin(api, &d, data, size);
    *width = (int)FIELD(d.cinfo, OFF_IMAGE_WIDTH, unsigned int);
    *height = (int)FIELD(d.cinfo, OFF_IMAGE_HEIGHT, unsigned int);
    *channels = FIELD(d.cinfo, OFF_OUT_COLOR_SPACE, int) == JCS_GRAYSCALE ? 1 : 3;
    ((destroy_fn)api->destroy_decompress)(d.cinfo);
    return 0;
}

int descent_jpeg_decode(const descent_jpeg_api *api, const unsigned char *data, unsigned long size,
                        unsigned char *out, size_t out_size, char *message) {
    decoder d;
    memset(&d, 0, sizeof d);
    if (setjmp(d.err.jump)) {
        memcpy(message, d.err.message, MSG_MAX);
        message[MSG_MAX - 1] = 0;
        ((destroy_fn)api->destroy_decompress)(d.cinfo);
        return -1;
    }
    begin(api, &d, data, size);
    ((start_fn)api->start_decompress)(d.cinfo);
    unsigned int w = FIELD(d.cinfo, OFF_OUTPUT_WIDTH, unsigned int), h = FIELD(d.cinfo, OFF_OUTPUT_HEIGHT, unsigned int);
    int c = FIELD(d.cinfo, OFF_OUTPUT_COMPONENTS, int);
    if ((size_t)w * h * (size_t)c != out_size) {
        strcpy(d.err.message, "the decoded size differs from the header's");
        longjmp(d.err.jump, 1);
    }
    while (FIELD(d.cinfo, OFF_OUTPUT_SCANLINE, unsigned int) < h) {
        unsigned char *row = out + (size_t)FIELD(d.cinfo, OFF_OUTPUT_SCANLINE, unsigned int) * w * c;
        if (((read_scanlines_fn)api->read_scanlines)(d.cinfo, &row, 1) != 1) {
            strcpy(d.err.message, "the image data ends early");
            longjmp(d.err.jump, 1);
        }
    }
    ((finish_fn)api->finish_decompress)(d.cinfo);
    ((destroy_fn)api->destroy_decompress)(d.cinfo);
    return 0;
}
