/* libFuzzer target: the TIFF decoder as ingest drives it. */
#include "fuzz_image.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_image(data, size, KHO_FORMAT_TIFF);
}
