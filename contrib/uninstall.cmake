# Removes every file of the last `cmake --install` (install_manifest.txt), except the host
# configuration /etc/vfiohook/vfiohook.conf, which the admin may have edited: remove it by
# hand. Honours DESTDIR like the install did. Run: cmake -DMANIFEST=FILE -P uninstall.cmake
if(NOT EXISTS "${MANIFEST}")
  message(FATAL_ERROR "no ${MANIFEST}: nothing was installed from this build dir")
endif()
file(STRINGS "${MANIFEST}" vfh_files)
foreach(f IN LISTS vfh_files)
  set(f "$ENV{DESTDIR}${f}") # the manifest lists paths without DESTDIR
  if(f MATCHES "/etc/vfiohook/vfiohook\\.conf$")
    message(STATUS "Keeping ${f} (yours; remove it by hand)")
  elseif(EXISTS "${f}" OR IS_SYMLINK "${f}")
    message(STATUS "Removing ${f}")
    file(REMOVE "${f}")
  endif()
endforeach()
message(STATUS "vfiohook removed. Guests it prepared should have been stopped first, so its "
               "release hook could restore their devices; restart libvirtd now.")
