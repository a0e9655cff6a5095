#ifndef RELAYD_SDK_H
#define RELAYD_SDK_H
/* placeholder */
#endif
