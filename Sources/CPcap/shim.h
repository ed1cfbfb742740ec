#ifndef ICQSCOPE_CPCAP_SHIM_H
#define ICQSCOPE_CPCAP_SHIM_H
#include <pcap/pcap.h>
#endif
