// Debian's libzstd (apt: libzstd-dev for the header, libzstd1 at run time).
#include <zstd.h>
