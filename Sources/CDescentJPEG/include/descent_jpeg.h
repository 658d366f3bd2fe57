// Decoding JPEG files with the system's libjpeg (libjpeg-turbo, ABI 62: libjpeg.so.62), which Descent
// opens at run time with dlopen and hands to these functions as entry points. The library reports
// errors by calling a function that must not return: these wrappers catch it with setjmp/longjmp and
// return its message instead. Only what decoding needs of libjpeg's structs is declared here, by
// offset, for the 64-bit (LP64) layout of ABI 62; `descent_jpeg_supported` says whether this build can use it.
#ifndef DESCENT_JPEG_H
#define DESCENT_JPEG_H
#include <stddef.h>

/// libjpeg's entry points (from dlsym).
typedef struct {
    void *std_error;           // jpeg_std_error
    void *create_decompress;   // jpeg_CreateDecompress
    void *mem_src;             // jpeg_mem_src
    void *read_header;         // jpeg_read_header
    void *start_decompress;    // jpeg_start_decompress
    void *read_scanlines;      // jpeg_read_scanlines
    void *finish_decompress;   // jpeg_finish_decompress
    void *destroy_decompress;  // jpeg_destroy_decompress
} descent_jpeg_api;

/// 1 when libjpeg ABI 62's struct layout applies to this platform (64-bit pointers).
int descent_jpeg_supported(void);

/// Reads the header of the JPEG in `data`: width, height, and the channels decoding gives (1 for gray,
/// 3 for YCbCr/RGB). Returns 0, or -1 with libjpeg's message in `message` (200 bytes).
int descent_jpeg_info(const descent_jpeg_api *api, const unsigned char *data, unsigned long size,
                      int *width, int *height, int *channels, char *message);

/// Decodes the JPEG in `data` into `out` (height x width x channels bytes, as `descent_jpeg_info`
/// gave them), with libjpeg's defaults (integer IDCT, fancy upsampling), as PIL decodes. Returns 0 or -1.
int descent_jpeg_decode(const descent_jpeg_api *api, const unsigned char *data, unsigned long size,
                        unsigned char *out, size_t out_size, char *message);
#endif
