/* placeholder */
typedef int relayd_placeholder_mock;
