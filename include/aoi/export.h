/* AOI_API marks the symbols libaoi exports. The library is built with hidden
 * visibility, so a shared libaoi.so exports its public API and nothing else. */
#ifndef AOI_EXPORT_H
#define AOI_EXPORT_H

#if defined(_WIN32)
#define AOI_API
#else
#define AOI_API __attribute__((visibility("default")))
#endif

#endif
