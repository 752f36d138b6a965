#pragma once
/* placeholder: implemented by its issue */
