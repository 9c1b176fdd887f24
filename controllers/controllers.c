/* controllers.c - the list of controllers the server runs. */
#include "controllers.h"

void controllers_start(void) { namespace_controller_start(); }

void controllers_stop(void) { namespace_controller_stop(); }
