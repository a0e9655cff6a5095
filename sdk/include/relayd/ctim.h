#ifndef RELAYD_CTIM_H
#define RELAYD_CTIM_H
/* placeholder */
#endif
